# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/platform/sync/lenet-lenet-fashion-lambda-2019-time-cost.png'
set title 'lenet: lenet-fashion on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
0.2470598 23.2456188
EOD
$p1 << EOD
0.247246467 23.1778805
EOD
$p2 << EOD
0.247908552 23.5124488
EOD
$p3 << EOD
0.276254435 124.843145
EOD
$p4 << EOD
0.277173186 125.35602
EOD
$p5 << EOD
0.276826102 124.964444
EOD
$p6 << EOD
0.0875676996 20.568488
EOD
$p7 << EOD
0.0874481161 20.530022
EOD
$p8 << EOD
0.0871651988 20.0997987
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
0.0871651988 20.0997987
EOD
set xrange [0<*:*]
set yrange [0<*:*]
set label 'hsp seed 1' at first 0.2470598, first 23.2456188 right offset character -1.6,2 font ',8' textcolor rgb '#333333' front
set label 'hsp seed 2' at first 0.247246467, first 23.1778805 right offset character -1.6,3 font ',8' textcolor rgb '#333333' front
set label 'hsp seed 3' at first 0.247908552, first 23.5124488 right offset character -1.6,4 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 1' at first 0.276254435, first 124.843145 right offset character -1.6,-2 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 2' at first 0.277173186, first 125.35602 right offset character -1.6,-3 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 3' at first 0.276826102, first 124.964444 right offset character -1.6,-4 font ',8' textcolor rgb '#333333' front
set label 'asp seed 1' at first 0.0875676996, first 20.568488 left offset character 1.6,2 font ',8' textcolor rgb '#333333' front
set label 'asp seed 2' at first 0.0874481161, first 20.530022 left offset character 1.6,3 font ',8' textcolor rgb '#333333' front
set label 'asp seed 3' at first 0.0871651988, first 20.0997987 left offset character 1.6,4 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 6 ps 2 lc rgb '#0072b2' title 'hsp seed 1 (not reached)', \
     $p1 with points pt 4 ps 2 lc rgb '#d55e00' title 'hsp seed 2 (not reached)', \
     $p2 with points pt 8 ps 2 lc rgb '#009e73' title 'hsp seed 3 (not reached)', \
     $p3 with points pt 10 ps 2 lc rgb '#cc79a7' title 'bsp seed 1 (not reached)', \
     $p4 with points pt 12 ps 2 lc rgb '#e69f00' title 'bsp seed 2 (not reached)', \
     $p5 with points pt 14 ps 2 lc rgb '#56b4e9' title 'bsp seed 3 (not reached)', \
     $p6 with points pt 6 ps 2 lc rgb '#000000' title 'asp seed 1 (not reached)', \
     $p7 with points pt 4 ps 2 lc rgb '#8c564b' title 'asp seed 2 (not reached)', \
     $p8 with points pt 8 ps 2 lc rgb '#9467bd' title 'asp seed 3 (not reached)'
