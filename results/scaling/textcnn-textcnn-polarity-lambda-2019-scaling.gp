# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/textcnn-textcnn-polarity-lambda-2019-scaling.png'
set title 'textcnn-polarity on lambda-2019: time to target'
set xlabel 'functions'
set ylabel 'speed-up over 1 function'
set grid
set key outside right top
set terminal pngcairo size 1280,520 noenhanced font ',10'
set output '/tmp/scal3/out/textcnn-textcnn-polarity-lambda-2019-scaling.png'
set logscale x 2
set logscale y
set key top left
set multiplot layout 1,2
$p0_0 << EOD
1 1
2 0.740267
EOD
$p0_1 << EOD
1 1
2 0.19397281
EOD
$p0_2 << EOD
1 1
2 0.0287476389
4 0.0402613769
8 0.0335959866
16 0.0380870844
64 0.0254841591
EOD
$p0_3 << EOD
1 1
2 0.049628362
4 0.0829630802
8 0.101063225
16 0.167833977
64 0.231797645
EOD
$p0_4 << EOD
1 1
2 0.0561930634
4 0.0608563771
8 0.0423811145
16 0.0429097467
64 0.0260784391
EOD
$p0_5 << EOD
1 1
2 0.750145092
EOD
$p0_6 << EOD
1 1
2 0.750099503
EOD
plot $p0_0 with linespoints lw 2 pt 1 title 'average', \
     $p0_1 with linespoints lw 2 pt 2 title 'average:8', \
     $p0_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p0_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p0_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p0_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p0_6 with linespoints lw 2 pt 7 title 'apply'
set title 'cost of the run (to the target, or to its last epoch)'
set ylabel 'cost (USD)'
$p1_0 << EOD
1 0.00019300035
2 0.000563917512
4 0.00176333534
8 0.00445226984
16 0.0143040062
64 0.19254603
192 1.66596441
EOD
$p1_1 << EOD
1 0.00019300035
2 0.00309358686
4 0.00768067334
8 0.0123190739
16 0.0283200106
64 0.19254603
192 1.66596441
EOD
$p1_2 << EOD
1 0.0001286669
2 0.0112851498
4 0.01432019
8 0.031142605
16 0.0500895931
64 0.209860825
192 0.0349739169
EOD
$p1_3 << EOD
1 0.0001286669
2 0.00892624286
4 0.014276578
8 0.0354420684
16 0.0636000216
64 0.376063973
192 1.66596441
EOD
$p1_4 << EOD
1 0.0001286669
2 0.0062868084
4 0.0100624487
8 0.0260767932
16 0.0470878319
64 0.218901478
192 0.0349739169
EOD
$p1_5 << EOD
1 0.0100264134
2 0.0267387023
4 0.0267419023
8 0.0268416358
16 0.0268544358
64 0.0269312358
192 0.0271360358
EOD
$p1_6 << EOD
1 0.0133193195
2 0.0355197853
4 0.0355696521
8 0.0356693856
16 0.0356821856
64 0.0365056538
192 0.0367104538
EOD
plot $p1_0 with linespoints lw 2 pt 1 title 'average', \
     $p1_1 with linespoints lw 2 pt 2 title 'average:8', \
     $p1_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p1_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p1_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p1_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p1_6 with linespoints lw 2 pt 7 title 'apply'
unset multiplot
