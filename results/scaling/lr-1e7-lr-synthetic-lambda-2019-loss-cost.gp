# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-1e7-lr-synthetic-lambda-2019-loss-cost.png'
set title 'lr-1e7: lr-synthetic on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.00181352 0.50823
0.00362704 0.497429
EOD
$d1 << EOD
0.00246352 0.508216
0.00492704 0.497414
EOD
$d2 << EOD
0.058027941 0.514958
0.116055882 0.497104
EOD
$d3 << EOD
5.55866075 7.248403
11.1173215 11.03105
16.6759822 7.00639
22.234643 6.713595
EOD
$d4 << EOD
0.00181352 0.50823
0.00362704 0.497429
EOD
$d5 << EOD
0.065248616 0.509958
0.130497232 0.498305
EOD
$d6 << EOD
0.603224655 0.594596
1.20644931 0.557133
1.80967396 0.543338
2.41289862 0.52422
EOD
$d7 << EOD
5.55866075 7.248403
11.1173215 11.03105
16.6759822 7.00639
22.234643 6.713595
EOD
set logscale x
plot $d0 with linespoints lw 2 title 'average n=1', \
     $d1 with linespoints lw 2 title 'average n=10', \
     $d2 with linespoints lw 2 title 'average n=100', \
     $d3 with linespoints lw 2 title 'average n=1000', \
     $d4 with linespoints lw 2 title 'average:10 n=1', \
     $d5 with linespoints lw 2 title 'average:10 n=10', \
     $d6 with linespoints lw 2 title 'average:10 n=100', \
     $d7 with linespoints lw 2 title 'average:10 n=1000'
