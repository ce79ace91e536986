# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-lenet-fashion-lambda-2019-loss-cost.png'
set title 'testbed: lenet-fashion on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003333333 0.49894
0.003333333 0.407003
0.003333333 0.379055
EOD
$d1 << EOD
0.006666667 0.49894
0.006666667 0.407003
0.006666667 0.379055
EOD
$d2 << EOD
0.013333333 0.49894
0.013333333 0.407003
0.013333333 0.379055
EOD
$d3 << EOD
0.002106951 0.421784
0.004213902 0.370262
EOD
$d4 << EOD
0.002106951 0.421784
0.004213902 0.370262
EOD
$d5 << EOD
0.002106951 0.421784
0.004213902 0.370262
EOD
$d6 << EOD
0.001476742 0.421784
0.002953484 0.370262
EOD
$d7 << EOD
0.002106951 0.421784
0.004213902 0.370262
EOD
$d8 << EOD
0.001647263 0.421784
0.003294526 0.370262
EOD
$d9 << EOD
0.002106951 0.421784
0.004213902 0.370262
EOD
$d10 << EOD
0.002106951 0.421784
0.004213902 0.370262
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
