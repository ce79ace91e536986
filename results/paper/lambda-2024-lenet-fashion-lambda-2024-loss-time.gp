# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/lambda-2024-lenet-fashion-lambda-2024-loss-time.png'
set title 'lambda-2024: lenet-fashion on lambda-2024'
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
1.386848 0.49894
2.773696 0.407003
4.160544 0.379055
EOD
$d2 << EOD
25.699515 0.421784
51.20403 0.370262
EOD
$d3 << EOD
25.699515 0.421784
51.20403 0.370262
EOD
$d4 << EOD
25.699515 0.421784
51.20403 0.370262
EOD
$d5 << EOD
54.249279 0.421784
108.303558 0.370262
EOD
set logscale x
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d2 with linespoints lw 2 title 'siren drl', \
     $d3 with linespoints lw 2 title 'siren grid', \
     $d4 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
