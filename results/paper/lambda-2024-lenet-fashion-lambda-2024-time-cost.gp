# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/paper/lambda-2024-lenet-fashion-lambda-2024-time-cost.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
0.00333333333 31.7437746
EOD
$p1 << EOD
0.00333333333 5.02441532
EOD
$p2 << EOD
0.0133333333 30.3883484
EOD
$p3 << EOD
0.000108916868 3.55964268
EOD
$p4 << EOD
0.000108916868 3.55964268
EOD
$p5 << EOD
0.000108916868 3.55964268
EOD
$p6 << EOD
0.000189921181 6.18281437
EOD
$p7 << EOD
0.000189921181 6.18281437
EOD
$p8 << EOD
0.000189921181 6.18281437
EOD
$p9 << EOD
0.000189921181 6.18281437
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
0.000108916868 3.55964268
EOD
set logscale x 10
set format x '%g'
set yrange [0<*:*]
set label 'm4.large x2' at first 0.00333333333, first 31.7437746 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'm4.large x2 warm' at first 0.00333333333, first 5.02441532 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'm4.2xlarge x2' at first 0.0133333333, first 30.3883484 right offset character -1.6,0 font ',8' textcolor rgb '#333333' front
set label 'sim drl' at first 0.000108916868, first 3.55964268 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'sim grid' at first 0.000108916868, first 3.55964268 left offset character 1.6,1 font ',8' textcolor rgb '#333333' front
set label 'sim oracle' at first 0.000108916868, first 3.55964268 left offset character 1.6,4 font ',8' textcolor rgb '#333333' front
set label 'siren drl' at first 0.000189921181, first 6.18281437 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'siren grid' at first 0.000189921181, first 6.18281437 left offset character 1.6,1 font ',8' textcolor rgb '#333333' front
set label 'siren at cost of m4.large x2 drl' at first 0.000189921181, first 6.18281437 left offset character 1.6,2 font ',8' textcolor rgb '#333333' front
set label 'siren at cost of m4.large x2 grid' at first 0.000189921181, first 6.18281437 left offset character 1.6,3 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 7 ps 2 lc rgb '#0072b2' title 'm4.large x2', \
     $p1 with points pt 5 ps 2 lc rgb '#d55e00' title 'm4.large x2 warm', \
     $p2 with points pt 9 ps 2 lc rgb '#009e73' title 'm4.2xlarge x2', \
     $p3 with points pt 11 ps 2 lc rgb '#cc79a7' title 'sim drl', \
     $p4 with points pt 13 ps 2 lc rgb '#e69f00' title 'sim grid', \
     $p5 with points pt 15 ps 2 lc rgb '#56b4e9' title 'sim oracle', \
     $p6 with points pt 7 ps 2 lc rgb '#000000' title 'siren drl', \
     $p7 with points pt 5 ps 2 lc rgb '#8c564b' title 'siren grid', \
     $p8 with points pt 9 ps 2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 drl', \
     $p9 with points pt 11 ps 2 lc rgb '#0072b2' title 'siren at cost of m4.large x2 grid'
