# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/platform/channels/textcnn-textcnn-polarity-lambda-2019-loss-cost.png'
set title 'textcnn: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
0.002059251 0.675851
0.003984335 0.661388
EOD
$d1 << EOD
0.100310807 0.811372
0.19860911 0.986165
EOD
$d2 << EOD
0.002737571 0.675851
0.00528662 0.661388
EOD
$d3 << EOD
0.152160314 0.811372
0.302398299 0.986165
EOD
$d4 << EOD
0.002737571 0.675851
0.00528662 0.661388
EOD
$d5 << EOD
0.152160314 0.811372
0.302398299 0.986165
EOD
$d6 << EOD
0.251650852 0.675851
0.503115037 0.661388
EOD
$d7 << EOD
1.94025874 0.811372
3.87858955 0.986165
EOD
$d8 << EOD
0.000738731 0.675851
0.001196933 0.661388
EOD
$d9 << EOD
0.018259082 0.811372
0.034522013 0.986165
EOD
set logscale x 10
set format x '%g'
set yrange [0<*:*]
plot $d0 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#0072b2' title 's3 n=16', \
     $d1 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#d55e00' title 's3 n=128', \
     $d2 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#009e73' title 'redis n=16', \
     $d3 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#cc79a7' title 'redis n=128', \
     $d4 with linespoints lw 2 pt 13 ps 1.2 lc rgb '#e69f00' title 'memcached n=16', \
     $d5 with linespoints lw 2 pt 15 ps 1.2 lc rgb '#56b4e9' title 'memcached n=128', \
     $d6 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#000000' title 'dynamodb n=16', \
     $d7 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#8c564b' title 'dynamodb n=128', \
     $d8 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#9467bd' title 'vm-ps n=16', \
     $d9 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#0072b2' title 'vm-ps n=128'
