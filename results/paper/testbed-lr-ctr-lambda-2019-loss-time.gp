# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/testbed-lr-ctr-lambda-2019-loss-time.png'
set title 'testbed: lr-ctr on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
0.103373 0.500548
0.206803 0.486432
EOD
$d1 << EOD
0.103373 0.500548
0.206803 0.486432
EOD
$d2 << EOD
0.098618 0.500548
0.197271 0.486432
EOD
$d3 << EOD
0.096835 0.500548
0.193696 0.486432
EOD
$d4 << EOD
0.096835 0.500548
0.193696 0.486432
EOD
$d5 << EOD
1.215486 0.492939
EOD
$d6 << EOD
1.214158 0.492939
EOD
$d7 << EOD
1.215486 0.492939
EOD
$d8 << EOD
1.214158 0.492939
EOD
$d9 << EOD
1.215486 0.492939
EOD
$d10 << EOD
1.214158 0.492939
EOD
$d11 << EOD
1.215486 0.492939
EOD
$d12 << EOD
1.214158 0.492939
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
     $d8 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#9467bd' title 'siren at cost of m4.large x2 grid', \
     $d9 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#0072b2' title 'siren at cost of m4.xlarge x2 drl', \
     $d10 with linespoints lw 2 pt 13 ps 1.2 lc rgb '#d55e00' title 'siren at cost of m4.xlarge x2 grid', \
     $d11 with linespoints lw 2 pt 15 ps 1.2 lc rgb '#009e73' title 'siren at cost of m4.2xlarge x2 drl', \
     $d12 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#cc79a7' title 'siren at cost of m4.2xlarge x2 grid'
