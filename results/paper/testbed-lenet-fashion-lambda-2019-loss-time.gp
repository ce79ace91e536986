# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-lenet-fashion-lambda-2019-loss-time.png'
set title 'testbed: lenet-fashion on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
1.674805 0.49894
3.34961 0.407003
5.024415 0.379055
EOD
$d1 << EOD
1.465574 0.49894
2.931148 0.407003
4.396722 0.379055
EOD
$d2 << EOD
1.386848 0.49894
2.773696 0.407003
4.160544 0.379055
EOD
$d3 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
$d4 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
$d5 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
$d6 << EOD
54.699429 0.421784
109.153858 0.370262
EOD
$d7 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
$d8 << EOD
30.450783 0.421784
60.656566 0.370262
EOD
$d9 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
$d10 << EOD
25.749515 0.421784
51.25403 0.370262
EOD
set logscale x
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid', \
     $d7 with linespoints lw 2 title 'siren at cost of m4.xlarge x2 drl', \
     $d8 with linespoints lw 2 title 'siren at cost of m4.xlarge x2 grid', \
     $d9 with linespoints lw 2 title 'siren at cost of m4.2xlarge x2 drl', \
     $d10 with linespoints lw 2 title 'siren at cost of m4.2xlarge x2 grid'
