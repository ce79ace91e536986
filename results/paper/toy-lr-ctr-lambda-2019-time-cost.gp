# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/toy-lr-ctr-lambda-2019-time-cost.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00723213469 3.8662633
EOD
$p1 << EOD
0.384435506 13.5367875
EOD
$p2 << EOD
0.0860488109 6.22319106
EOD
$p3 << EOD
0.00566666667 29.3529945
EOD
$p4 << EOD
0.00566666667 0.0239032635
EOD
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 6 ps 2 title '20 functions (not reached)', \
     $p1 with points pt 4 ps 2 title '150 functions (not reached)', \
     $p2 with points pt 8 ps 2 title 'X functions (not reached)', \
     $p3 with points pt 10 ps 2 title 'c5.2xlarge (not reached)', \
     $p4 with points pt 12 ps 2 title 'c5.2xlarge warm (not reached)'
