# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-textcnn-polarity-lambda-2019-loss-time.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
19.229217 0.641879
38.458434 0.582787
57.687651 0.529678
EOD
$d1 << EOD
11.648489 0.641879
23.296978 0.582787
34.945467 0.529678
EOD
$d2 << EOD
8.797956 0.641879
17.595912 0.582787
26.393868 0.529678
EOD
$d3 << EOD
22.929047 0.695549
56.234537 0.678958
89.295027 0.667132
122.355517 0.65439
162.646896 0.645123
202.938275 0.636611
243.229654 0.622712
283.521033 0.60533
333.109268 0.588397
382.697503 0.595669
432.285738 0.558114
481.873973 0.540277
EOD
$d4 << EOD
49.626702 0.680224
99.008404 0.659521
148.390106 0.651155
197.771808 0.634018
247.15351 0.621211
296.535212 0.609074
345.916914 0.581868
395.298616 0.564055
444.680318 0.547923
EOD
$d5 << EOD
22.929047 0.695549
EOD
$d6 << EOD
210.473169 0.639384
420.701338 0.57499
630.929507 0.514435
EOD
set logscale x
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
