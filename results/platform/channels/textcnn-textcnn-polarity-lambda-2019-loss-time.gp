# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/platform/channels/textcnn-textcnn-polarity-lambda-2019-loss-time.png'
set title 'textcnn: textcnn-polarity on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
2.739271 0.675851
4.617649 0.661388
EOD
$d1 << EOD
5.535665 0.811372
10.081389 0.986165
EOD
$d2 << EOD
7.921716 0.675851
14.818751 0.661388
EOD
$d3 << EOD
54.787681 0.811372
108.481692 0.986165
EOD
$d4 << EOD
7.921716 0.675851
14.818751 0.661388
EOD
$d5 << EOD
54.787681 0.811372
108.481692 0.986165
EOD
$d6 << EOD
3.328932 0.675851
5.626906 0.661388
EOD
$d7 << EOD
4.638127 0.811372
8.17257 0.986165
EOD
$d8 << EOD
2.192262 0.675851
3.359809 0.661388
EOD
$d9 << EOD
7.285553 0.811372
13.478084 0.986165
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
