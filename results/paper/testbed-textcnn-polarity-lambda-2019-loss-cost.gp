# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-textcnn-polarity-lambda-2019-loss-cost.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003333333 0.641879
0.003333333 0.582787
0.003333333 0.529678
EOD
$d1 << EOD
0.006666667 0.641879
0.006666667 0.582787
0.006666667 0.529678
EOD
$d2 << EOD
0.013333333 0.641879
0.013333333 0.582787
0.013333333 0.529678
EOD
$d3 << EOD
0.003800718 0.695549
0.007191148 0.678958
0.010581578 0.667132
0.013972008 0.65439
0.017361092 0.645123
0.020750176 0.636611
0.02413926 0.622712
0.027528344 0.60533
0.030916082 0.588397
0.03430382 0.595669
0.037691558 0.558114
0.041079296 0.540277
EOD
$d4 << EOD
0.00440774 0.680224
0.00881548 0.659521
0.01322322 0.651155
0.01763096 0.634018
0.0220387 0.621211
0.02644644 0.609074
0.03085418 0.581868
0.03526192 0.564055
0.03966966 0.547923
EOD
$d5 << EOD
0.003800718 0.695549
EOD
$d6 << EOD
0.001551926 0.639384
0.003103852 0.57499
0.004655778 0.514435
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
