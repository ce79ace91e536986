# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/toy-lr-ctr-lambda-2019-loss-cost.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003364001 0.600952
0.006728002 0.551801
0.010092003 0.534195
EOD
$d1 << EOD
0.003390001 0.677195
0.006780002 0.663879
0.010170003 0.651157
EOD
$d2 << EOD
0.003384001 0.672297
0.006748002 0.58938
0.010093337 0.533409
EOD
$d3 << EOD
0.005666667 0.492893
0.005666667 0.482009
0.005666667 0.478816
EOD
plot $d0 with linespoints lw 2 title '20 functions', \
     $d1 with linespoints lw 2 title '150 functions', \
     $d2 with linespoints lw 2 title 'X functions', \
     $d3 with linespoints lw 2 title 'c5.2xlarge'
