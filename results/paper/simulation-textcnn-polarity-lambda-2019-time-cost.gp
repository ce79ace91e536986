# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/wt-bench/results/paper/simulation-textcnn-polarity-lambda-2019-time-cost.png'
set title 'simulation: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.000207750368 7.51293065
EOD
$p1 << EOD
0.00023400042 7.4678095
EOD
$p2 << EOD
0.000753180391 8.70896675
EOD
$p3 << EOD
0.00023400042 7.4678095
EOD
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'sim drl', \
     $p1 with points pt 5 ps 2 title 'sim grid', \
     $p2 with points pt 9 ps 2 title 'sim heuristic', \
     $p3 with points pt 11 ps 2 title 'sim oracle'
