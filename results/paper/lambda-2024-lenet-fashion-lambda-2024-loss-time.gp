# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/lambda-2024-lenet-fashion-lambda-2024-loss-time.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
1.674805 0.499685
3.34961 0.401856
5.024415 0.380247
EOD
$d1 << EOD
1.674805 0.499685
3.34961 0.401856
5.024415 0.380247
EOD
$d2 << EOD
1.386848 0.499685
2.773696 0.401856
4.160544 0.380247
EOD
$d3 << EOD
3.559643 0.4298
6.182815 0.371312
EOD
$d4 << EOD
3.559643 0.4298
6.182815 0.371312
EOD
$d5 << EOD
3.559643 0.4298
6.182815 0.371312
EOD
$d6 << EOD
3.559643 0.4298
6.182815 0.371312
EOD
set xrange [0<*:*]
set yrange [0<*:*]
plot $d0 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#0072b2' title 'm4.large x2', \
     $d1 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#d55e00' title 'm4.large x2 warm', \
     $d2 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#009e73' title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#000000' title 'siren drl', \
     $d4 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#8c564b' title 'siren grid', \
     $d5 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#0072b2' title 'siren at cost of m4.large x2 grid'
