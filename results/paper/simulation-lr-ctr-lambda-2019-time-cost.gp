# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/paper/simulation-lr-ctr-lambda-2019-time-cost.png'
set title 'simulation: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
1.1833345e-05 1.21548649
EOD
$p1 << EOD
1.266668e-05 1.21415795
EOD
$p2 << EOD
0.000228291921 1.81588051
EOD
$p3 << EOD
1.266668e-05 1.21415795
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
1.1833345e-05 1.21548649
1.266668e-05 1.21415795
EOD
set xrange [0<*:*]
set yrange [0<*:*]
set label 'sim drl' at first 1.1833345e-05, first 1.21548649 left offset character 1.6,2 font ',8' textcolor rgb '#333333' front
set label 'sim grid' at first 1.266668e-05, first 1.21415795 left offset character 1.6,3 font ',8' textcolor rgb '#333333' front
set label 'sim heuristic' at first 0.000228291921, first 1.81588051 right offset character -1.6,0 font ',8' textcolor rgb '#333333' front
set label 'sim oracle' at first 1.266668e-05, first 1.21415795 left offset character 1.6,4 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 7 ps 2 lc rgb '#0072b2' title 'sim drl', \
     $p1 with points pt 5 ps 2 lc rgb '#d55e00' title 'sim grid', \
     $p2 with points pt 9 ps 2 lc rgb '#009e73' title 'sim heuristic', \
     $p3 with points pt 11 ps 2 lc rgb '#cc79a7' title 'sim oracle'
