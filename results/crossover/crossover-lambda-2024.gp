# Drawn by siren bench crossover; run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 900,700 font 'sans,10'
set output '/work/main/results/crossover/crossover-lambda-2024.png'
set title "lambda-2024: one epoch, Lambda's time / the fastest EC2 configuration's,\nLambda at no more than that configuration's cost"
set logscale xy
set xlabel 'training rows (one epoch)'
set ylabel 'time ratio, Lambda / EC2'
set grid
set key below maxrows 3
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lw 2 lc rgb 'black'
set label 'Lambda faster' at graph 0.02, graph 0.04
set label 'EC2 faster' at graph 0.02, graph 0.96
plot '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#1f77b4' dt 1 title 'lr (lr-criteo), EC2 booted (gaps: no Lambda within its cost)', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#1f77b4' dt 2 title 'lr (lr-criteo), EC2 already running: no Lambda within its cost', '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#d62728' dt 1 title 'image (lenet-fashion), EC2 booted', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#d62728' dt 2 title 'image (lenet-fashion), EC2 already running', '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#2ca02c' dt 1 title 'text (textcnn-polarity), EC2 booted', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#2ca02c' dt 2 title 'text (textcnn-polarity), EC2 already running'
10000 0.0528035
31623 0.0569449
100000 0.0681508
316228 0.082405
1000000 0.0973776
3162278 0.126473
10000000 0.194749
31622777 0.771034
45840617 2.35442
e
NaN NaN
e
10000 0.0587049
31623 0.0672824
100000 0.0816211
316228 0.0942341
1000000 0.0990777
3162278 0.0997981
10000000 0.0831036
31622777 0.0478827
100000000 0.0258127
e
10000 23.2977
31623 7.77936
100000 2.52825
316228 0.866302
1000000 0.368106
3162278 0.168961
10000000 0.0784057
31622777 0.0382789
100000000 0.0201606
e
10000 0.0887633
31623 0.1038
100000 0.107789
316228 0.0989827
1000000 0.0767599
3162278 0.0442146
10000000 0.027011
31622777 0.0137029
100000000 0.00717596
e
10000 4.01432
31623 1.41346
100000 0.55187
316228 0.237445
1000000 0.115373
3162278 0.0513825
10000000 0.0284782
31622777 0.01398
100000000 0.00724374
e
