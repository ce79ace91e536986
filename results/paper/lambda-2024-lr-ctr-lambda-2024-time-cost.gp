# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/lambda-2024-lr-ctr-lambda-2024-time-cost.png'
set title 'lambda-2024: lr-ctr on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00333333333 0.206294459
EOD
$p1 << EOD
0.0133333333 0.193187074
EOD
$p2 << EOD
0.0086198693 29.6683905
EOD
$p3 << EOD
0.0195076379 28.0249709
EOD
$p4 << EOD
0.011775637 35.8198751
EOD
$p5 << EOD
0.012831885 36.9904881
EOD
$p6 << EOD
0.0233998321 33.5909651
EOD
$p7 << EOD
0.00436410351 22.1512929
EOD
$p8 << EOD
0.0032994045 44.1084534
EOD
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'm4.large x2', \
     $p1 with points pt 5 ps 2 title 'm4.2xlarge x2', \
     $p2 with points pt 9 ps 2 title 'sim drl', \
     $p3 with points pt 11 ps 2 title 'sim grid', \
     $p4 with points pt 13 ps 2 title 'sim oracle', \
     $p5 with points pt 7 ps 2 title 'siren drl', \
     $p6 with points pt 5 ps 2 title 'siren grid', \
     $p7 with points pt 8 ps 2 title 'siren at cost of m4.large x2 drl (not reached)', \
     $p8 with points pt 11 ps 2 title 'siren at cost of m4.large x2 grid'
