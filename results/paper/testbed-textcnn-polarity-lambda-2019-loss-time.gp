# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/work/main/results/paper/testbed-textcnn-polarity-lambda-2019-loss-time.png'
set title 'testbed: textcnn-polarity on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
19.229217 0.641864
38.458434 0.582452
57.687651 0.529087
EOD
$d1 << EOD
11.648489 0.641864
23.296978 0.582452
34.945467 0.529087
EOD
$d2 << EOD
8.797956 0.641864
17.595912 0.582452
26.393868 0.529087
EOD
$d3 << EOD
1.713628 0.638234
3.182256 0.573624
4.650884 0.545629
EOD
$d4 << EOD
1.713628 0.638234
3.182256 0.573624
4.650884 0.545629
EOD
$d5 << EOD
1.713628 0.638234
3.182256 0.573624
4.650884 0.545629
EOD
$d6 << EOD
1.713628 0.638234
3.182256 0.573624
4.650884 0.545629
EOD
plot $d0 with linespoints lw 2 title 'm4.large x2', \
     $d1 with linespoints lw 2 title 'm4.xlarge x2', \
     $d2 with linespoints lw 2 title 'm4.2xlarge x2', \
     $d3 with linespoints lw 2 title 'siren drl', \
     $d4 with linespoints lw 2 title 'siren grid', \
     $d5 with linespoints lw 2 title 'siren at cost of m4.large x2 drl', \
     $d6 with linespoints lw 2 title 'siren at cost of m4.large x2 grid'
