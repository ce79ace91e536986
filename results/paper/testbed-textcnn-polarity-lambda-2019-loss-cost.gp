# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/testbed-textcnn-polarity-lambda-2019-loss-cost.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003333333 0.641879
0.003333333 0.582787
0.003333333 0.529678
EOD
$d1 << EOD
0.006666667 0.641879
0.006666667 0.582787
0.006666667 0.529678
EOD
$d2 << EOD
0.013333333 0.641879
0.013333333 0.582787
0.013333333 0.529678
EOD
$d3 << EOD
0.002576053 0.681137
0.005152106 0.673921
0.007728159 0.665339
0.010304212 0.652573
0.012880265 0.645663
0.015456318 0.636607
0.018032371 0.625698
0.020608424 0.611183
0.023184477 0.59902
0.02576053 0.611896
0.028336583 0.583749
0.030912636 0.566356
0.033488689 0.559577
0.036064742 0.54458
EOD
$d4 << EOD
0.002576053 0.681137
0.005152106 0.673921
0.007728159 0.665339
0.010304212 0.652573
0.012880265 0.645663
0.015456318 0.636607
0.018032371 0.625698
0.020608424 0.611183
0.023184477 0.59902
0.02576053 0.611896
0.028336583 0.583749
0.030912636 0.566356
0.033488689 0.559577
0.036064742 0.54458
EOD
$d5 << EOD
0.002576053 0.681137
0.005152106 0.673921
EOD
$d6 << EOD
0.001551926 0.639384
0.003103852 0.57499
0.004655778 0.514435
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
