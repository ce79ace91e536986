# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/paper/toy-lr-ctr-lambda-2019-time-cost.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
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
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
0.00566666667 0.0239032635
EOD
set logscale x 10
set format x '%g'
set logscale y 10
set format y '%g'
set label '20 functions' at first 0.00723213469, first 3.8662633 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label '150 functions' at first 0.384435506, first 13.5367875 right offset character -1.6,0 font ',8' textcolor rgb '#333333' front
set label 'X functions' at first 0.0860488109, first 6.22319106 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'c5.2xlarge' at first 0.00566666667, first 29.3529945 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'c5.2xlarge warm' at first 0.00566666667, first 0.0239032635 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 6 ps 2 lc rgb '#0072b2' title '20 functions (not reached)', \
     $p1 with points pt 4 ps 2 lc rgb '#d55e00' title '150 functions (not reached)', \
     $p2 with points pt 8 ps 2 lc rgb '#009e73' title 'X functions (not reached)', \
     $p3 with points pt 10 ps 2 lc rgb '#cc79a7' title 'c5.2xlarge (not reached)', \
     $p4 with points pt 12 ps 2 lc rgb '#e69f00' title 'c5.2xlarge warm (not reached)'
