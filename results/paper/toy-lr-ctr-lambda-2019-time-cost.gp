# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/main/results/paper/toy-lr-ctr-lambda-2019-time-cost.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00675880041 1.07210708
EOD
$p1 << EOD
0.371733814 3.99195108
EOD
$p2 << EOD
0.0821321363 1.74735115
EOD
$p3 << EOD
0.00566666667 0.0208885507
EOD
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 6 ps 2 title '20 functions (not reached)', \
     $p1 with points pt 4 ps 2 title '150 functions (not reached)', \
     $p2 with points pt 8 ps 2 title 'X functions (not reached)', \
     $p3 with points pt 10 ps 2 title 'c5.2xlarge (not reached)'
