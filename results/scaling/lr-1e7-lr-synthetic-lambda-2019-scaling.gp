# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-1e7-lr-synthetic-lambda-2019-scaling.png'
set title 'lr-synthetic on lambda-2019: time to target'
set xlabel 'functions'
set ylabel 'speed-up over 1 function'
set grid
set key outside right top
set terminal pngcairo size 1280,520 noenhanced font ',10'
set output '/tmp/scal3/out/lr-1e7-lr-synthetic-lambda-2019-scaling.png'
set logscale x 2
set logscale y
set key top left
set multiplot layout 1,2
$p0_0 << EOD
1 1
10 9.13094468
100 31.1396556
EOD
$p0_1 << EOD
1 1
10 2.06846071
EOD
plot $p0_0 with linespoints lw 2 pt 1 title 'average', \
     $p0_1 with linespoints lw 2 pt 2 title 'average:10'
set title 'cost of the run (to the target, or to its last epoch)'
set ylabel 'cost (USD)'
$p1_0 << EOD
1 0.00362703993
10 0.00492704034
100 0.116055882
1000 22.234643
EOD
$p1_1 << EOD
1 0.00362703993
10 0.130497232
100 2.41289862
1000 22.234643
EOD
plot $p1_0 with linespoints lw 2 pt 1 title 'average', \
     $p1_1 with linespoints lw 2 pt 2 title 'average:10'
unset multiplot
