# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/platform/channels/textcnn-textcnn-polarity-lambda-2019-time-cost.png'
set title 'textcnn: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00398433569 4.61764921
EOD
$p1 << EOD
0.198609109 10.0813889
EOD
$p2 << EOD
0.00528661972 14.818751
EOD
$p3 << EOD
0.302398299 108.481692
EOD
$p4 << EOD
0.00528661972 14.818751
EOD
$p5 << EOD
0.302398299 108.481692
EOD
$p6 << EOD
0.503115036 5.62690537
EOD
$p7 << EOD
3.87858955 8.17256978
EOD
$p8 << EOD
0.00119693369 3.35980907
EOD
$p9 << EOD
0.034522013 13.4780836
EOD
set logscale x
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 6 ps 2 title 's3 n=16 (not reached)', \
     $p1 with points pt 4 ps 2 title 's3 n=128 (not reached)', \
     $p2 with points pt 8 ps 2 title 'redis n=16 (not reached)', \
     $p3 with points pt 10 ps 2 title 'redis n=128 (not reached)', \
     $p4 with points pt 12 ps 2 title 'memcached n=16 (not reached)', \
     $p5 with points pt 6 ps 2 title 'memcached n=128 (not reached)', \
     $p6 with points pt 4 ps 2 title 'dynamodb n=16 (not reached)', \
     $p7 with points pt 8 ps 2 title 'dynamodb n=128 (not reached)', \
     $p8 with points pt 10 ps 2 title 'vm-ps n=16 (not reached)', \
     $p9 with points pt 12 ps 2 title 'vm-ps n=128 (not reached)'
