# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/main/results/paper/lambda-2024-lr-ctr-lambda-2024-time-cost.png'
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
1.54500189e-05 0.323242279
EOD
$p3 << EOD
1.54500189e-05 0.323242279
EOD
$p4 << EOD
1.54500189e-05 0.323242279
EOD
$p5 << EOD
1.54500189e-05 0.323242279
EOD
$p6 << EOD
1.54500189e-05 0.323242279
EOD
$p7 << EOD
1.54500189e-05 0.323242279
EOD
$p8 << EOD
1.54500189e-05 0.323242279
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
