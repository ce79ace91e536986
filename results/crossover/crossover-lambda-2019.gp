# Drawn by siren bench crossover; run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 900,700 font 'sans,10'
set output '/work/main/results/crossover/crossover-lambda-2019.png'
set title "lambda-2019: one epoch, Lambda's time / the fastest EC2 configuration's,\nLambda at no more than that configuration's cost"
set logscale xy
set xlabel 'training rows (one epoch)'
set ylabel 'time ratio, Lambda / EC2'
set grid
set key below maxrows 3
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lw 2 lc rgb 'black'
set label 'Lambda faster' at graph 0.02, graph 0.04
set label 'EC2 faster' at graph 0.02, graph 0.96
plot '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#1f77b4' dt 1 title 'lr (lr-criteo), EC2 booted (gaps: no Lambda within its cost)', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#1f77b4' dt 2 title 'lr (lr-criteo), EC2 already running: no Lambda within its cost', '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#d62728' dt 1 title 'image (lenet-fashion), EC2 booted', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#d62728' dt 2 title 'image (lenet-fashion), EC2 already running', '-' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb '#2ca02c' dt 1 title 'text (textcnn-polarity), EC2 booted', '-' using 1:2 with linespoints lw 2 pt 6 ps 1.3 lc rgb '#2ca02c' dt 2 title 'text (textcnn-polarity), EC2 already running'
10000 0.0451638
31623 0.0489361
100000 0.0589586
316228 0.071795
1000000 0.0854956
3162278 0.111281
10000000 0.17565
31622777 0.752946
45840617 2.17623
e
NaN NaN
e
10000 0.0502325
31623 0.0579148
100000 0.0709232
316228 0.0821784
1000000 0.088339
3162278 0.0915044
10000000 0.0794381
31622777 0.0469741
100000000 0.0256033
e
10000 18.9289
31623 6.73167
100000 2.48548
316228 0.827917
1000000 0.36085
3162278 0.165428
10000000 0.0772764
31622777 0.0379411
100000000 0.0199488
e
10000 0.0777018
31623 0.0916439
100000 0.0960865
316228 0.0908509
1000000 0.0725995
3162278 0.0431398
10000000 0.0267489
31622777 0.0136466
100000000 0.00714823
e
10000 4.02262
31623 1.39151
100000 0.544958
316228 0.234507
1000000 0.114025
3162278 0.05121
10000000 0.0283826
31622777 0.0139518
100000000 0.00722058
e
