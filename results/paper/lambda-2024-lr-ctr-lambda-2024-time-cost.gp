# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/lambda-2024-lr-ctr-lambda-2024-time-cost.png'
set title 'lambda-2024: lr-ctr on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
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
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'm4.large x2', \
     $p1 with points pt 5 ps 2 title 'm4.large x2 warm', \
     $p2 with points pt 9 ps 2 title 'm4.2xlarge x2', \
     $p3 with points pt 11 ps 2 title 'sim drl', \
     $p4 with points pt 13 ps 2 title 'sim grid', \
     $p5 with points pt 7 ps 2 title 'sim oracle', \
     $p6 with points pt 5 ps 2 title 'siren drl', \
     $p7 with points pt 9 ps 2 title 'siren grid', \
     $p8 with points pt 11 ps 2 title 'siren at cost of m4.large x2 drl', \
     $p9 with points pt 13 ps 2 title 'siren at cost of m4.large x2 grid'
