# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/paper/testbed-lr-ctr-lambda-2019-time-cost.png'
set title 'testbed: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
$p0 << EOD
0.00333333333 29.5784298
EOD
$p1 << EOD
0.00333333333 0.206803409
EOD
$p2 << EOD
0.00666666667 29.551457
EOD
$p3 << EOD
0.0133333333 29.5407401
EOD
$p4 << EOD
0.0133333333 0.193696024
EOD
$p5 << EOD
1.1833345e-05 1.21548649
EOD
$p6 << EOD
1.266668e-05 1.21415795
EOD
$p7 << EOD
1.1833345e-05 1.21548649
EOD
$p8 << EOD
1.266668e-05 1.21415795
EOD
$p9 << EOD
1.1833345e-05 1.21548649
EOD
$p10 << EOD
1.266668e-05 1.21415795
EOD
$p11 << EOD
1.1833345e-05 1.21548649
EOD
$p12 << EOD
1.266668e-05 1.21415795
EOD
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
1.1833345e-05 1.21548649
1.266668e-05 1.21415795
0.00333333333 0.206803409
0.0133333333 0.193696024
EOD
set logscale x 10
set format x '%g'
set logscale y 10
set format y '%g'
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 7 ps 2 lc rgb '#0072b2' title 'm4.large x2', \
     $p1 with points pt 5 ps 2 lc rgb '#d55e00' title 'm4.large x2 warm', \
     $p2 with points pt 9 ps 2 lc rgb '#009e73' title 'm4.xlarge x2', \
     $p3 with points pt 11 ps 2 lc rgb '#cc79a7' title 'm4.2xlarge x2', \
     $p4 with points pt 13 ps 2 lc rgb '#e69f00' title 'm4.2xlarge x2 warm', \
     $p5 with points pt 15 ps 2 lc rgb '#56b4e9' title 'siren drl', \
     $p6 with points pt 7 ps 2 lc rgb '#000000' title 'siren grid', \
     $p7 with points pt 5 ps 2 lc rgb '#8c564b' title 'siren at cost of m4.large x2 drl', \
     $p8 with points pt 9 ps 2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 grid', \
     $p9 with points pt 11 ps 2 lc rgb '#0072b2' title 'siren at cost of m4.xlarge x2 drl', \
     $p10 with points pt 13 ps 2 lc rgb '#d55e00' title 'siren at cost of m4.xlarge x2 grid', \
     $p11 with points pt 15 ps 2 lc rgb '#009e73' title 'siren at cost of m4.2xlarge x2 drl', \
     $p12 with points pt 7 ps 2 lc rgb '#cc79a7' title 'siren at cost of m4.2xlarge x2 grid'
