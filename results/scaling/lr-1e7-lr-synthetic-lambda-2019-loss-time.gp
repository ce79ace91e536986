# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-1e7-lr-synthetic-lambda-2019-loss-time.png'
set title 'lr-1e7: lr-synthetic on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
56.719205 0.50823
113.19341 0.497429
EOD
$d1 << EOD
6.320841 0.508216
12.396682 0.497414
EOD
$d2 << EOD
1.940012 0.514958
3.635024 0.497104
EOD
$d3 << EOD
8.221503 7.248403
16.198006 11.03105
24.174509 7.00639
32.151012 6.713595
EOD
$d4 << EOD
56.719205 0.50823
113.19341 0.497429
EOD
$d5 << EOD
27.48425 0.509958
54.7235 0.498305
EOD
$d6 << EOD
10.110799 0.594596
19.976598 0.557133
29.842397 0.543338
39.708196 0.52422
EOD
$d7 << EOD
8.221503 7.248403
16.198006 11.03105
24.174509 7.00639
32.151012 6.713595
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
