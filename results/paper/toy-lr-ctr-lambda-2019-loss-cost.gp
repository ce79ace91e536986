# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/toy-lr-ctr-lambda-2019-loss-cost.png'
set title 'toy: lr-ctr on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top Left reverse
$d0 << EOD
0.002486267 0.522019
0.004857534 0.513015
0.007232134 0.505734
EOD
$d1 << EOD
0.128802948 0.564944
0.25647256 0.526971
0.384435506 0.519644
EOD
$d2 << EOD
0.08305961 0.55682
0.085430877 0.518615
0.08604881 0.505401
EOD
$d3 << EOD
0.005666667 0.492893
0.005666667 0.482009
0.005666667 0.478816
EOD
$d4 << EOD
0.005666667 0.492893
0.005666667 0.482009
0.005666667 0.478816
EOD
set logscale x 10
set format x '%g'
set yrange [0<*:*]
plot $d0 with linespoints lw 2 pt 7 ps 1.2 lc rgb '#0072b2' title '20 functions', \
     $d1 with linespoints lw 2 pt 5 ps 1.2 lc rgb '#d55e00' title '150 functions', \
     $d2 with linespoints lw 2 pt 9 ps 1.2 lc rgb '#009e73' title 'X functions', \
     $d3 with linespoints lw 2 pt 11 ps 1.2 lc rgb '#cc79a7' title 'c5.2xlarge', \
     $d4 with linespoints lw 2 pt 13 ps 1.2 lc rgb '#e69f00' title 'c5.2xlarge warm'
