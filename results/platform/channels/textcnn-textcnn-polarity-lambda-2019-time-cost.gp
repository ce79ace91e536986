# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1040,640 noenhanced font ',10'
set output '/work/wt-bench/results/platform/channels/textcnn-textcnn-polarity-lambda-2019-time-cost.png'
set title 'textcnn: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top Left reverse
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
# The Pareto front: no other configuration is both faster and cheaper.
$front << EOD
0.00119693369 3.35980907
EOD
set logscale x 10
set format x '%g'
set logscale y 10
set format y '%g'
set label 's3 n=16' at first 0.00398433569, first 4.61764921 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 's3 n=128' at first 0.198609109, first 10.0813889 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'redis n=16' at first 0.00528661972, first 14.818751 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'redis n=128' at first 0.302398299, first 108.481692 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'memcached n=16' at first 0.00528661972, first 14.818751 left offset character 1.6,1 font ',8' textcolor rgb '#333333' front
set label 'memcached n=128' at first 0.302398299, first 108.481692 left offset character 1.6,-1 font ',8' textcolor rgb '#333333' front
set label 'dynamodb n=16' at first 0.503115036, first 5.62690537 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'dynamodb n=128' at first 3.87858955, first 8.17256978 right offset character -1.6,0 font ',8' textcolor rgb '#333333' front
set label 'vm-ps n=16' at first 0.00119693369, first 3.35980907 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set label 'vm-ps n=128' at first 0.034522013, first 13.4780836 left offset character 1.6,0 font ',8' textcolor rgb '#333333' front
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
plot $front with linespoints dt 2 lw 1.5 lc rgb '#555555' pt 6 ps 3.4 title 'Pareto front', \
     $p0 with points pt 6 ps 2 lc rgb '#0072b2' title 's3 n=16 (not reached)', \
     $p1 with points pt 4 ps 2 lc rgb '#d55e00' title 's3 n=128 (not reached)', \
     $p2 with points pt 8 ps 2 lc rgb '#009e73' title 'redis n=16 (not reached)', \
     $p3 with points pt 10 ps 2 lc rgb '#cc79a7' title 'redis n=128 (not reached)', \
     $p4 with points pt 12 ps 2 lc rgb '#e69f00' title 'memcached n=16 (not reached)', \
     $p5 with points pt 14 ps 2 lc rgb '#56b4e9' title 'memcached n=128 (not reached)', \
     $p6 with points pt 6 ps 2 lc rgb '#000000' title 'dynamodb n=16 (not reached)', \
     $p7 with points pt 4 ps 2 lc rgb '#8c564b' title 'dynamodb n=128 (not reached)', \
     $p8 with points pt 8 ps 2 lc rgb '#9467bd' title 'vm-ps n=16 (not reached)', \
     $p9 with points pt 10 ps 2 lc rgb '#0072b2' title 'vm-ps n=128 (not reached)'
