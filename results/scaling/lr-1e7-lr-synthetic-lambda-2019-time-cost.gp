# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-1e7-lr-synthetic-lambda-2019-time-cost.png'
set title 'lr-1e7: lr-synthetic on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00362703993 113.19341
EOD
$p1 << EOD
0.00492704034 12.3966812
EOD
$p2 << EOD
0.116055882 3.63502446
EOD
$p3 << EOD
22.234643 32.1510126
EOD
$p4 << EOD
0.00362703993 113.19341
EOD
$p5 << EOD
0.130497232 54.7235001
EOD
$p6 << EOD
2.41289862 39.7081971
EOD
$p7 << EOD
22.234643 32.1510126
EOD
set logscale x
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'average n=1', \
     $p1 with points pt 5 ps 2 title 'average n=10', \
     $p2 with points pt 9 ps 2 title 'average n=100', \
     $p3 with points pt 10 ps 2 title 'average n=1000 (not reached)', \
     $p4 with points pt 13 ps 2 title 'average:10 n=1', \
     $p5 with points pt 7 ps 2 title 'average:10 n=10', \
     $p6 with points pt 4 ps 2 title 'average:10 n=100 (not reached)', \
     $p7 with points pt 8 ps 2 title 'average:10 n=1000 (not reached)'
