# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/textcnn-textcnn-polarity-lambda-2019-time-cost.png'
set title 'textcnn: textcnn-polarity on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00019300035 5.99480545
EOD
$p1 << EOD
0.000563917512 8.09816654
EOD
$p2 << EOD
0.00176333534 10.3943012
EOD
$p3 << EOD
0.00445226984 9.18641861
EOD
$p4 << EOD
0.0143040062 9.18247731
EOD
$p5 << EOD
0.19254603 11.7295213
EOD
$p6 << EOD
1.66596441 19.4288644
EOD
$p7 << EOD
0.00019300035 5.99480545
EOD
$p8 << EOD
0.00309358686 30.9053905
EOD
$p9 << EOD
0.00768067334 30.1281412
EOD
$p10 << EOD
0.0123190739 17.7093082
EOD
$p11 << EOD
0.0283200106 14.2012605
EOD
$p12 << EOD
0.19254603 11.7295213
EOD
$p13 << EOD
1.66596441 19.4288644
EOD
$p14 << EOD
0.0001286669 4.07820363
EOD
$p15 << EOD
0.0112851498 141.862212
EOD
$p16 << EOD
0.01432019 101.293198
EOD
$p17 << EOD
0.031142605 121.389608
EOD
$p18 << EOD
0.0500895931 107.075763
EOD
$p19 << EOD
0.209860825 160.028966
EOD
$p20 << EOD
0.0349739169 249.337637
EOD
$p21 << EOD
0.0001286669 4.07820363
EOD
$p22 << EOD
0.00892624286 82.1748586
EOD
$p23 << EOD
0.014276578 49.1568493
EOD
$p24 << EOD
0.0354420684 40.3529934
EOD
$p25 << EOD
0.0636000216 24.2990347
EOD
$p26 << EOD
0.376063973 17.5938096
EOD
$p27 << EOD
1.66596441 19.4288644
EOD
$p28 << EOD
0.0001286669 4.07820363
EOD
$p29 << EOD
0.0062868084 72.5748586
EOD
$p30 << EOD
0.0100624487 67.0135789
EOD
$p31 << EOD
0.0260767932 96.2269086
EOD
$p32 << EOD
0.0470878319 95.0414287
EOD
$p33 << EOD
0.218901478 156.382198
EOD
$p34 << EOD
0.0349739169 249.337637
EOD
$p35 << EOD
0.0100264134 229.279612
EOD
$p36 << EOD
0.0267387023 305.64702
EOD
$p37 << EOD
0.0267419023 152.96601
EOD
$p38 << EOD
0.0268416358 76.625505
EOD
$p39 << EOD
0.0268544358 38.4552525
EOD
$p40 << EOD
0.0269312358 9.82756313
EOD
$p41 << EOD
0.0271360358 3.46585438
EOD
$p42 << EOD
0.0133193195 334.30653
EOD
$p43 << EOD
0.0355197853 445.682911
EOD
$p44 << EOD
0.0355696521 222.983956
EOD
$p45 << EOD
0.0356693856 111.634478
EOD
$p46 << EOD
0.0356821856 55.9597389
EOD
$p47 << EOD
0.0365056538 14.2036847
EOD
$p48 << EOD
0.0367104538 4.92456158
EOD
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'average n=1', \
     $p1 with points pt 5 ps 2 title 'average n=2', \
     $p2 with points pt 8 ps 2 title 'average n=4 (not reached)', \
     $p3 with points pt 10 ps 2 title 'average n=8 (not reached)', \
     $p4 with points pt 12 ps 2 title 'average n=16 (not reached)', \
     $p5 with points pt 6 ps 2 title 'average n=64 (not reached)', \
     $p6 with points pt 4 ps 2 title 'average n=192 (not reached)', \
     $p7 with points pt 9 ps 2 title 'average:8 n=1', \
     $p8 with points pt 11 ps 2 title 'average:8 n=2', \
     $p9 with points pt 12 ps 2 title 'average:8 n=4 (not reached)', \
     $p10 with points pt 6 ps 2 title 'average:8 n=8 (not reached)', \
     $p11 with points pt 4 ps 2 title 'average:8 n=16 (not reached)', \
     $p12 with points pt 8 ps 2 title 'average:8 n=64 (not reached)', \
     $p13 with points pt 10 ps 2 title 'average:8 n=192 (not reached)', \
     $p14 with points pt 13 ps 2 title 'allreduce n=1', \
     $p15 with points pt 7 ps 2 title 'allreduce n=2', \
     $p16 with points pt 5 ps 2 title 'allreduce n=4', \
     $p17 with points pt 9 ps 2 title 'allreduce n=8', \
     $p18 with points pt 11 ps 2 title 'allreduce n=16', \
     $p19 with points pt 13 ps 2 title 'allreduce n=64', \
     $p20 with points pt 6 ps 2 title 'allreduce n=192 (not reached)', \
     $p21 with points pt 5 ps 2 title 'scatter-reduce n=1', \
     $p22 with points pt 9 ps 2 title 'scatter-reduce n=2', \
     $p23 with points pt 11 ps 2 title 'scatter-reduce n=4', \
     $p24 with points pt 13 ps 2 title 'scatter-reduce n=8', \
     $p25 with points pt 7 ps 2 title 'scatter-reduce n=16', \
     $p26 with points pt 5 ps 2 title 'scatter-reduce n=64', \
     $p27 with points pt 8 ps 2 title 'scatter-reduce n=192 (not reached)', \
     $p28 with points pt 11 ps 2 title 'allgather n=1', \
     $p29 with points pt 13 ps 2 title 'allgather n=2', \
     $p30 with points pt 7 ps 2 title 'allgather n=4', \
     $p31 with points pt 5 ps 2 title 'allgather n=8', \
     $p32 with points pt 9 ps 2 title 'allgather n=16', \
     $p33 with points pt 11 ps 2 title 'allgather n=64', \
     $p34 with points pt 12 ps 2 title 'allgather n=192 (not reached)', \
     $p35 with points pt 7 ps 2 title 'overwrite n=1', \
     $p36 with points pt 5 ps 2 title 'overwrite n=2', \
     $p37 with points pt 8 ps 2 title 'overwrite n=4 (not reached)', \
     $p38 with points pt 10 ps 2 title 'overwrite n=8 (not reached)', \
     $p39 with points pt 12 ps 2 title 'overwrite n=16 (not reached)', \
     $p40 with points pt 6 ps 2 title 'overwrite n=64 (not reached)', \
     $p41 with points pt 4 ps 2 title 'overwrite n=192 (not reached)', \
     $p42 with points pt 9 ps 2 title 'apply n=1', \
     $p43 with points pt 11 ps 2 title 'apply n=2', \
     $p44 with points pt 12 ps 2 title 'apply n=4 (not reached)', \
     $p45 with points pt 6 ps 2 title 'apply n=8 (not reached)', \
     $p46 with points pt 4 ps 2 title 'apply n=16 (not reached)', \
     $p47 with points pt 8 ps 2 title 'apply n=64 (not reached)', \
     $p48 with points pt 10 ps 2 title 'apply n=192 (not reached)'
