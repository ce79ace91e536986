# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/testbed-textcnn-polarity-lambda-2019-loss-time.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
19.815544 0.641864
39.63726 0.582452
59.458976 0.529087
EOD
$d1 << EOD
19.815544 0.641864
39.63726 0.582452
59.458976 0.529087
EOD
$d2 << EOD
12.234815 0.641864
24.475802 0.582452
36.716789 0.529087
EOD
$d3 << EOD
9.384283 0.641864
18.774738 0.582452
28.165193 0.529087
EOD
$d4 << EOD
9.384283 0.641864
18.774738 0.582452
28.165193 0.529087
EOD
$d5 << EOD
2.54521 0.638234
4.308649 0.573624
5.86743 0.545629
EOD
$d6 << EOD
2.533929 0.638234
4.286088 0.573624
5.833589 0.545629
EOD
$d7 << EOD
2.54521 0.638234
4.308649 0.573624
5.86743 0.545629
EOD
$d8 << EOD
2.533929 0.638234
4.286088 0.573624
5.833589 0.545629
EOD
set xrange [0<*:*]
set yrange [0<*:*]
plot $d0 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#0072b2' title 'm4.large x2', \
     $d1 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#d55e00' title 'm4.large x2 warm', \
     $d2 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#009e73' title 'm4.xlarge x2', \
     $d3 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#cc79a7' title 'm4.2xlarge x2', \
     $d4 with linespoints lw 2 pt 13 ps 1.2 lc rgb '#e69f00' title 'm4.2xlarge x2 warm', \
     $d5 with linespoints lw 2 pt 15 ps 1.2 lc rgb '#56b4e9' title 'siren drl', \
     $d6 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#000000' title 'siren grid', \
     $d7 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#8c564b' title 'siren at cost of m4.large x2 drl', \
     $d8 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 grid'
