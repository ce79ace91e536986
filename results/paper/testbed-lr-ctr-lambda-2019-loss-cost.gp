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
0.003847902 0.506492
0.006789628 0.504917
EOD
$d4 << EOD
0.003900769 0.543604
0.007801538 0.518091
0.011702307 0.511297
0.015603076 0.505928
0.019503845 0.501622
EOD
$d5 << EOD
0.003847902 0.506492
EOD
$d6 << EOD
0.003297701 0.491607
EOD
$d7 << EOD
0.003847902 0.506492
0.006745153 0.505249
EOD
$d8 << EOD
0.003299664 0.51459
0.006599328 0.505163
EOD
$d9 << EOD
0.003847902 0.506492
0.006744353 0.504951
0.009688079 0.503454
EOD
$d10 << EOD
0.003896853 0.51459
0.007793706 0.505163
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
