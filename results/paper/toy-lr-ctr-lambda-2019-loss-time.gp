# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/main/results/paper/toy-lr-ctr-lambda-2019-loss-time.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.520702 0.522019
0.796404 0.513015
1.072106 0.505734
EOD
$d1 << EOD
1.493984 0.564944
2.742968 0.526971
3.991952 0.519644
EOD
$d2 << EOD
1.269073 0.55682
1.544775 0.518615
1.74735 0.505401
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
