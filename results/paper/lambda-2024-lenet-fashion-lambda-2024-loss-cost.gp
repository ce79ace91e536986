# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/lambda-2024-lenet-fashion-lambda-2024-loss-cost.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
0.003333333 0.499685
0.003333333 0.401856
0.003333333 0.380247
EOD
$d1 << EOD
0.003333333 0.499685
0.003333333 0.401856
0.003333333 0.380247
EOD
$d2 << EOD
0.013333333 0.499685
0.013333333 0.401856
0.013333333 0.380247
EOD
$d3 << EOD
0.000108917 0.4298
0.000189921 0.371312
EOD
$d4 << EOD
0.000108917 0.4298
0.000189921 0.371312
EOD
$d5 << EOD
0.000108917 0.4298
0.000189921 0.371312
EOD
$d6 << EOD
0.000108917 0.4298
0.000189921 0.371312
EOD
set logscale x 10
set format x '%g'
set yrange [0<*:*]
plot $d0 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#0072b2' title 'm4.large x2', \
     $d1 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#d55e00' title 'm4.large x2 warm', \
     $d2 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#009e73' title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#000000' title 'siren drl', \
     $d4 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#8c564b' title 'siren grid', \
     $d5 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#0072b2' title 'siren at cost of m4.large x2 grid'
