# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/toy-lr-ctr-lambda-2019-loss-time.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
2.494177 0.600952
4.743354 0.551801
6.992531 0.534195
EOD
$d1 << EOD
0.542719 0.677195
0.840438 0.663879
1.138157 0.651157
EOD
$d2 << EOD
0.640292 0.672297
2.889469 0.58938
7.28525 0.533409
EOD
$d3 << EOD
0.006963 0.492893
0.013926 0.482009
0.020889 0.478816
EOD
set logscale x
plot $d0 with linespoints lw 2 title '20 functions', \
     $d1 with linespoints lw 2 title '150 functions', \
     $d2 with linespoints lw 2 title 'X functions', \
     $d3 with linespoints lw 2 title 'c5.2xlarge'
