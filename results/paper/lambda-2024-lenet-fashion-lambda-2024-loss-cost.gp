# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/lambda-2024-lenet-fashion-lambda-2024-loss-cost.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
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
0.013333333 0.49894
0.013333333 0.407003
0.013333333 0.379055
EOD
$d2 << EOD
0.002112785 0.421784
0.004219736 0.370262
EOD
$d3 << EOD
0.002112785 0.421784
0.004219736 0.370262
EOD
$d4 << EOD
0.002112785 0.421784
0.004219736 0.370262
EOD
$d5 << EOD
0.001476221 0.421784
0.002952025 0.370262
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d2 with linespoints lw 2 title 'siren drl', \
     $d3 with linespoints lw 2 title 'siren grid', \
     $d4 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
