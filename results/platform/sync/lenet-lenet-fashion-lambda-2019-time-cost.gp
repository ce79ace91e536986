# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/platform/sync/lenet-lenet-fashion-lambda-2019-time-cost.png'
set title 'lenet: lenet-fashion on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
0.148204963 14.2699584
EOD
$p1 << EOD
0.271858822 25.368893
EOD
$p2 << EOD
0.124496777 12.3052503
EOD
$p3 << EOD
0.443262431 200.055192
EOD
$p4 << EOD
0.443959516 200.512351
EOD
$p5 << EOD
0.248680325 112.268247
EOD
$p6 << EOD
0.140011389 31.5960347
EOD
$p7 << EOD
0.139740139 31.7431158
EOD
$p8 << EOD
0.139512638 31.2013718
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
0.124496777 12.3052503
EOD
set xrange [0<*:*]
set yrange [0<*:*]
set label 'hsp seed 1' at first 0.148204963, first 14.2699584 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'hsp seed 2' at first 0.271858822, first 25.368893 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'hsp seed 3' at first 0.124496777, first 12.3052503 left offset character 1.6,5 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 1' at first 0.443262431, first 200.055192 right offset character -1.6,-2 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 2' at first 0.443959516, first 200.512351 right offset character -1.6,-3 font ',8' textcolor rgb '#333333' front
set label 'bsp seed 3' at first 0.248680325, first 112.268247 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'asp seed 1' at first 0.140011389, first 31.5960347 left offset character 1.6,3 font ',8' textcolor rgb '#333333' front
set label 'asp seed 2' at first 0.139740139, first 31.7431158 left offset character 1.6,4 font ',8' textcolor rgb '#333333' front
set label 'asp seed 3' at first 0.139512638, first 31.2013718 left offset character 1.6,5 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 7 ps 2 lc rgb '#0072b2' title 'hsp seed 1', \
     $p1 with points pt 5 ps 2 lc rgb '#d55e00' title 'hsp seed 2', \
     $p2 with points pt 9 ps 2 lc rgb '#009e73' title 'hsp seed 3', \
     $p3 with points pt 10 ps 2 lc rgb '#cc79a7' title 'bsp seed 1 (not reached)', \
     $p4 with points pt 12 ps 2 lc rgb '#e69f00' title 'bsp seed 2 (not reached)', \
     $p5 with points pt 15 ps 2 lc rgb '#56b4e9' title 'bsp seed 3', \
     $p6 with points pt 6 ps 2 lc rgb '#000000' title 'asp seed 1 (not reached)', \
     $p7 with points pt 4 ps 2 lc rgb '#8c564b' title 'asp seed 2 (not reached)', \
     $p8 with points pt 8 ps 2 lc rgb '#9467bd' title 'asp seed 3 (not reached)'
