# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 1460,460 noenhanced font ',10'
set output 'results/sched/contest/contest.png'
set title ''
set xlabel 'budget (x the workload''s default)'
set ylabel 'JCT / oracle''s JCT'
set grid
set key outside right top Left reverse
unset title
set logscale x 2
set multiplot layout 1,3 title 'scheduler contest: mean ratio to the exact oracle over the seeds that reached the target within budget'
set title 'lr-criteo'
unset key
$w0p0 << EOD
1 1.01159245
2 1.01159245
4 1.41562305
EOD
$w0p1 << EOD
0.5 1
1 1.00691475
2 1.00691475
4 1.00691475
EOD
$w0p2 << EOD
0.25 1.29461555
0.5 1.29959792
1 1.15920749
2 1.15920749
4 1.15920749
EOD
$w0p3 << EOD
0.25 1.08246711
0.5 1.06050414
1 1.06595532
2 1.06595532
4 1.06595532
EOD
$w0p4 << EOD
0.25 1.24036803
0.5 1.04105112
1 1
2 1.00201778
4 1
EOD
$w0p5 << EOD
0.25 1.29461555
0.5 1.29959792
1 1.15920749
2 1.15920749
4 1.15920749
EOD
$w0p6 << EOD
0.25 1
0.5 1
1 1
2 1
4 1
EOD
plot $w0p0 using 1:2 with linespoints lc rgb '#0072b2' pt 7 ps 1.3 title 'drl', $w0p1 using 1:2 with linespoints lc rgb '#d55e00' pt 5 ps 1.3 title 'drl-spread', $w0p2 using 1:2 with linespoints lc rgb '#009e73' pt 9 ps 1.3 title 'grid', $w0p3 using 1:2 with linespoints lc rgb '#cc79a7' pt 11 ps 1.3 title 'heuristic', $w0p4 using 1:2 with linespoints lc rgb '#e69f00' pt 13 ps 1.3 title 'bo', $w0p5 using 1:2 with linespoints lc rgb '#56b4e9' pt 15 ps 1.3 title 'model', $w0p6 using 1:2 with linespoints lc rgb '#000000' pt 7 ps 1.3 title 'oracle'
set title 'lenet-fashion'
unset key
$w1p0 << EOD
1 1.00026356
2 1.04284752
4 1.04284752
EOD
$w1p1 << EOD
0.5 1.07030827
1 1.63872258
2 1.72540456
4 1.72540456
EOD
$w1p2 << EOD
0.5 1
1 1
2 1
4 1
EOD
$w1p3 << EOD
0.5 1.25748008
1 1.21513381
2 1.27953855
4 1.27953855
EOD
$w1p4 << EOD
0.5 1.06863375
1 1.08075069
2 1.06992845
4 1
EOD
$w1p5 << EOD
2 1
4 1
EOD
$w1p6 << EOD
0.5 1
1 1
2 1
4 1
EOD
plot $w1p0 using 1:2 with linespoints lc rgb '#0072b2' pt 7 ps 1.3 title 'drl', $w1p1 using 1:2 with linespoints lc rgb '#d55e00' pt 5 ps 1.3 title 'drl-spread', $w1p2 using 1:2 with linespoints lc rgb '#009e73' pt 9 ps 1.3 title 'grid', $w1p3 using 1:2 with linespoints lc rgb '#cc79a7' pt 11 ps 1.3 title 'heuristic', $w1p4 using 1:2 with linespoints lc rgb '#e69f00' pt 13 ps 1.3 title 'bo', $w1p5 using 1:2 with linespoints lc rgb '#56b4e9' pt 15 ps 1.3 title 'model', $w1p6 using 1:2 with linespoints lc rgb '#000000' pt 7 ps 1.3 title 'oracle'
set title 'textcnn-polarity'
set key outside right top Left reverse
$w2p0 << EOD
1 1.07915408
2 1.10645995
4 1.09963797
EOD
$w2p1 << EOD
0.5 1.16850944
1 1.54023762
2 1.54023762
4 1.54023762
EOD
$w2p2 << EOD
0.25 1
0.5 1
1 1.10508306
2 1.08945665
4 1.08945665
EOD
$w2p3 << EOD
0.5 1.24877086
1 1.21394328
2 1.21293376
4 1.21006925
EOD
$w2p4 << EOD
0.25 1
0.5 1.16850944
1 1.10508306
2 1.10508306
4 1.08945665
EOD
$w2p5 << EOD
0.25 1
1 1.10508306
2 1.09978558
4 1.09978558
EOD
$w2p6 << EOD
0.25 1
0.5 1
1 1
2 1
4 1
EOD
plot $w2p0 using 1:2 with linespoints lc rgb '#0072b2' pt 7 ps 1.3 title 'drl', $w2p1 using 1:2 with linespoints lc rgb '#d55e00' pt 5 ps 1.3 title 'drl-spread', $w2p2 using 1:2 with linespoints lc rgb '#009e73' pt 9 ps 1.3 title 'grid', $w2p3 using 1:2 with linespoints lc rgb '#cc79a7' pt 11 ps 1.3 title 'heuristic', $w2p4 using 1:2 with linespoints lc rgb '#e69f00' pt 13 ps 1.3 title 'bo', $w2p5 using 1:2 with linespoints lc rgb '#56b4e9' pt 15 ps 1.3 title 'model', $w2p6 using 1:2 with linespoints lc rgb '#000000' pt 7 ps 1.3 title 'oracle'
unset multiplot
