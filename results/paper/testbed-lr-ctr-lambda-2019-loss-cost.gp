# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-lr-ctr-lambda-2019-loss-cost.png'
set title 'testbed: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003333333 0.500548
0.003333333 0.486432
EOD
$d1 << EOD
0.006666667 0.500548
0.006666667 0.486432
EOD
$d2 << EOD
0.013333333 0.500548
0.013333333 0.486432
EOD
$d3 << EOD
0.00435207 0.506492
0.008582023 0.504095
0.012811976 0.49762
EOD
$d4 << EOD
0.003900769 0.543604
0.007801538 0.518091
0.011702307 0.511297
0.015603076 0.505928
0.019503845 0.501622
0.023404614 0.497542
EOD
$d5 << EOD
0.00435207 0.506492
EOD
$d6 << EOD
0.003297701 0.491607
EOD
$d7 << EOD
0.00435207 0.506492
0.008384906 0.504036
EOD
$d8 << EOD
0.003893536 0.491607
EOD
$d9 << EOD
0.00435207 0.506492
0.008437006 0.504771
0.012521942 0.499046
EOD
$d10 << EOD
0.003893536 0.491607
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid', \
     $d7 with linespoints lw 2 title 'siren at cost of m4.xlarge x2 drl', \
     $d8 with linespoints lw 2 title 'siren at cost of m4.xlarge x2 grid', \
     $d9 with linespoints lw 2 title 'siren at cost of m4.2xlarge x2 drl', \
     $d10 with linespoints lw 2 title 'siren at cost of m4.2xlarge x2 grid'
