# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/main/results/paper/lambda-2024-lenet-fashion-lambda-2024-time-cost.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00333333333 5.02441532
EOD
$p1 << EOD
0.0133333333 4.16054298
EOD
$p2 << EOD
8.46501533e-05 2.62716199
EOD
$p3 << EOD
8.46501533e-05 2.62716199
EOD
$p4 << EOD
8.46501533e-05 2.62716199
EOD
$p5 << EOD
0.000163466962 5.05932398
EOD
$p6 << EOD
0.000163466962 5.05932398
EOD
$p7 << EOD
0.000163466962 5.05932398
EOD
$p8 << EOD
0.000163466962 5.05932398
EOD
set logscale x
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'm4.large x2', \
     $p1 with points pt 5 ps 2 title 'm4.2xlarge x2', \
     $p2 with points pt 9 ps 2 title 'sim drl', \
     $p3 with points pt 11 ps 2 title 'sim grid', \
     $p4 with points pt 13 ps 2 title 'sim oracle', \
     $p5 with points pt 7 ps 2 title 'siren drl', \
     $p6 with points pt 5 ps 2 title 'siren grid', \
     $p7 with points pt 9 ps 2 title 'siren at cost of m4.large x2 drl', \
     $p8 with points pt 11 ps 2 title 'siren at cost of m4.large x2 grid'
