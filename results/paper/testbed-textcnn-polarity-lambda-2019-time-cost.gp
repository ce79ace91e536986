# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/testbed-textcnn-polarity-lambda-2019-time-cost.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00494444444 88.8332823
EOD
$p1 << EOD
0.00333333333 59.4589757
EOD
$p2 << EOD
0.00744444444 66.0726091
EOD
$p3 << EOD
0.0133333333 57.5134412
EOD
$p4 << EOD
0.0133333333 28.1651933
EOD
$p5 << EOD
0.000155083607 5.86742957
EOD
$p6 << EOD
0.00017466698 5.83358871
EOD
$p7 << EOD
0.000155083607 5.86742957
EOD
$p8 << EOD
0.00017466698 5.83358871
EOD
set logscale x
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'm4.large x2', \
     $p1 with points pt 5 ps 2 title 'm4.large x2 warm', \
     $p2 with points pt 9 ps 2 title 'm4.xlarge x2', \
     $p3 with points pt 11 ps 2 title 'm4.2xlarge x2', \
     $p4 with points pt 13 ps 2 title 'm4.2xlarge x2 warm', \
     $p5 with points pt 7 ps 2 title 'siren drl', \
     $p6 with points pt 5 ps 2 title 'siren grid', \
     $p7 with points pt 9 ps 2 title 'siren at cost of m4.large x2 drl', \
     $p8 with points pt 11 ps 2 title 'siren at cost of m4.large x2 grid'
