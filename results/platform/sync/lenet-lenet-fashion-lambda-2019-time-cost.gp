# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/platform/sync/lenet-lenet-fashion-lambda-2019-time-cost.png'
set title 'lenet: lenet-fashion on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
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
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 6 ps 2 title 'hsp seed 1 (not reached)', \
     $p1 with points pt 4 ps 2 title 'hsp seed 2 (not reached)', \
     $p2 with points pt 8 ps 2 title 'hsp seed 3 (not reached)', \
     $p3 with points pt 10 ps 2 title 'bsp seed 1 (not reached)', \
     $p4 with points pt 12 ps 2 title 'bsp seed 2 (not reached)', \
     $p5 with points pt 6 ps 2 title 'bsp seed 3 (not reached)', \
     $p6 with points pt 4 ps 2 title 'asp seed 1 (not reached)', \
     $p7 with points pt 8 ps 2 title 'asp seed 2 (not reached)', \
     $p8 with points pt 10 ps 2 title 'asp seed 3 (not reached)'
