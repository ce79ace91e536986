# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output './results/paper/lambda-2024-lr-ctr-lambda-2024-loss-cost.png'
set title 'lambda-2024: lr-ctr on lambda-2024'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.003333333 0.500548
0.003333333 0.486432
EOD
$d1 << EOD
0.013333333 0.500548
0.013333333 0.486432
EOD
$d2 << EOD
0.004364104 0.506492
0.00861987 0.504095
0.012831886 0.49762
EOD
$d3 << EOD
0.003938861 0.543604
0.007831055 0.518091
0.011723249 0.511297
0.015615443 0.505928
0.019507637 0.501622
0.023399831 0.497542
EOD
$d4 << EOD
0.004364104 0.506492
EOD
$d5 << EOD
0.003299405 0.491607
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d2 with linespoints lw 2 title 'siren drl', \
     $d3 with linespoints lw 2 title 'siren grid', \
     $d4 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
