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
33.557264 0.681137
66.869528 0.673921
100.181792 0.665339
133.494056 0.652573
166.80632 0.645663
200.118584 0.636607
233.430848 0.625698
266.743112 0.611183
300.055376 0.59902
333.36764 0.611896
366.679904 0.583749
399.992168 0.566356
433.304432 0.559577
466.616696 0.54458
EOD
$d4 << EOD
33.557264 0.681137
66.869528 0.673921
100.181792 0.665339
133.494056 0.652573
166.80632 0.645663
200.118584 0.636607
233.430848 0.625698
266.743112 0.611183
300.055376 0.59902
333.36764 0.611896
366.679904 0.583749
399.992168 0.566356
433.304432 0.559577
466.616696 0.54458
EOD
$d5 << EOD
33.557264 0.681137
66.869528 0.673921
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
