# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/paper/lambda-2024-lr-ctr-lambda-2024-time-cost.png'
set title 'lambda-2024: lr-ctr on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
0.00333333333 26.0784298
EOD
$p1 << EOD
0.00333333333 0.206803409
EOD
$p2 << EOD
0.0133333333 26.0407401
EOD
$p3 << EOD
3.97750676e-05 1.25791039
EOD
$p4 << EOD
3.97750676e-05 1.25791039
EOD
$p5 << EOD
3.97750676e-05 1.25791039
EOD
$p6 << EOD
3.97750676e-05 1.25791039
EOD
$p7 << EOD
3.97750676e-05 1.25791039
EOD
$p8 << EOD
3.97750676e-05 1.25791039
EOD
$p9 << EOD
3.97750676e-05 1.25791039
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
3.97750676e-05 1.25791039
0.00333333333 0.206803409
EOD
set logscale x 10
set format x '%g'
set logscale y 10
set format y '%g'
set label 'm4.large x2' at first 0.00333333333, first 26.0784298 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'm4.large x2 warm' at first 0.00333333333, first 0.206803409 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'm4.2xlarge x2' at first 0.0133333333, first 26.0407401 right offset character -1.6,-1 font ',8' textcolor rgb '#333333' front
set label 'sim drl' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'sim grid' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,1 font ',8' textcolor rgb '#333333' front
set label 'sim oracle' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,2 font ',8' textcolor rgb '#333333' front
set label 'siren drl' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,3 font ',8' textcolor rgb '#333333' front
set label 'siren grid' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,4 font ',8' textcolor rgb '#333333' front
set label 'siren at cost of m4.large x2 drl' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,5 font ',8' textcolor rgb '#333333' front
set label 'siren at cost of m4.large x2 grid' at first 3.97750676e-05, first 1.25791039 left offset character 1.6,6 font ',8' textcolor rgb '#333333' front
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
