# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lenet-lenet-fashion-lambda-2019-time-cost.png'
set title 'lenet: lenet-fashion on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.00023400042 7.37053761
EOD
$p1 << EOD
0.00033560049 4.44086374
EOD
$p2 << EOD
0.00077300077 3.67237724
EOD
$p3 << EOD
0.00335848501 4.13107009
EOD
$p4 << EOD
0.0159458371 4.76676321
EOD
$p5 << EOD
0.231306852 7.30972317
EOD
$p6 << EOD
48.8349046 72.0015936
EOD
$p7 << EOD
0.00023400042 7.37053761
EOD
$p8 << EOD
0.00275730158 13.7544772
EOD
$p9 << EOD
0.00652560224 9.77534099
EOD
$p10 << EOD
0.0193203037 8.19016843
EOD
$p11 << EOD
0.0629058427 10.3278639
EOD
$p12 << EOD
0.231306852 7.30972317
EOD
$p13 << EOD
48.8349046 72.0015936
EOD
$p14 << EOD
0.00023400042 7.37053761
EOD
$p15 << EOD
0.0318226692 164.492299
EOD
$p16 << EOD
0.0294828204 87.7208601
EOD
$p17 << EOD
0.038941097 65.5577049
EOD
$p18 << EOD
0.0654936626 67.9431399
EOD
$p19 << EOD
0.181879753 72.1368046
EOD
$p20 << EOD
0.0890988914 57.9745774
EOD
$p21 << EOD
0.00023400042 7.37053761
EOD
$p22 << EOD
0.039429518 154.743316
EOD
$p23 << EOD
0.0721884684 79.2062145
EOD
$p24 << EOD
0.183251892 53.7922419
EOD
$p25 << EOD
0.546444162 66.9289865
EOD
$p26 << EOD
3.5612628 84.1405003
EOD
$p27 << EOD
48.8349046 72.0015936
EOD
$p28 << EOD
0.00023400042 7.37053761
EOD
$p29 << EOD
0.0201301598 84.3933159
EOD
$p30 << EOD
0.0230002111 47.6696341
EOD
$p31 << EOD
0.0382204846 38.8568875
EOD
$p32 << EOD
0.0835776441 48.0886859
EOD
$p33 << EOD
0.37977439 64.1493806
EOD
$p34 << EOD
0.0890988914 57.9745774
EOD
$p35 << EOD
0.0155420427 159.875811
EOD
$p36 << EOD
0.03887069 199.799806
EOD
$p37 << EOD
0.07774538 200.250243
EOD
$p38 << EOD
0.0778117135 100.698058
EOD
$p39 << EOD
0.0780610473 50.4965291
EOD
$p40 << EOD
0.0781570473 13.0581006
EOD
$p41 << EOD
0.0836383881 1.14587337
EOD
$p42 << EOD
0.0178499458 213.391552
EOD
$p43 << EOD
0.0446258644 266.694482
EOD
$p44 << EOD
0.0892557288 267.287552
EOD
$p45 << EOD
0.0893220623 134.359345
EOD
$p46 << EOD
0.0895713961 67.3271725
EOD
$p47 << EOD
0.0906007313 17.3370778
EOD
$p48 << EOD
0.114748776 1.43113852
EOD
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'average n=1', \
     $p1 with points pt 5 ps 2 title 'average n=2', \
     $p2 with points pt 9 ps 2 title 'average n=4', \
     $p3 with points pt 11 ps 2 title 'average n=8', \
     $p4 with points pt 12 ps 2 title 'average n=16 (not reached)', \
     $p5 with points pt 6 ps 2 title 'average n=64 (not reached)', \
     $p6 with points pt 4 ps 2 title 'average n=938 (not reached)', \
     $p7 with points pt 9 ps 2 title 'average:16 n=1', \
     $p8 with points pt 11 ps 2 title 'average:16 n=2', \
     $p9 with points pt 13 ps 2 title 'average:16 n=4', \
     $p10 with points pt 7 ps 2 title 'average:16 n=8', \
     $p11 with points pt 4 ps 2 title 'average:16 n=16 (not reached)', \
     $p12 with points pt 8 ps 2 title 'average:16 n=64 (not reached)', \
     $p13 with points pt 10 ps 2 title 'average:16 n=938 (not reached)', \
     $p14 with points pt 13 ps 2 title 'allreduce n=1', \
     $p15 with points pt 7 ps 2 title 'allreduce n=2', \
     $p16 with points pt 5 ps 2 title 'allreduce n=4', \
     $p17 with points pt 9 ps 2 title 'allreduce n=8', \
     $p18 with points pt 11 ps 2 title 'allreduce n=16', \
     $p19 with points pt 12 ps 2 title 'allreduce n=64 (not reached)', \
     $p20 with points pt 6 ps 2 title 'allreduce n=938 (not reached)', \
     $p21 with points pt 5 ps 2 title 'scatter-reduce n=1', \
     $p22 with points pt 9 ps 2 title 'scatter-reduce n=2', \
     $p23 with points pt 11 ps 2 title 'scatter-reduce n=4', \
     $p24 with points pt 13 ps 2 title 'scatter-reduce n=8', \
     $p25 with points pt 7 ps 2 title 'scatter-reduce n=16', \
     $p26 with points pt 4 ps 2 title 'scatter-reduce n=64 (not reached)', \
     $p27 with points pt 8 ps 2 title 'scatter-reduce n=938 (not reached)', \
     $p28 with points pt 11 ps 2 title 'allgather n=1', \
     $p29 with points pt 13 ps 2 title 'allgather n=2', \
     $p30 with points pt 7 ps 2 title 'allgather n=4', \
     $p31 with points pt 5 ps 2 title 'allgather n=8', \
     $p32 with points pt 9 ps 2 title 'allgather n=16', \
     $p33 with points pt 10 ps 2 title 'allgather n=64 (not reached)', \
     $p34 with points pt 12 ps 2 title 'allgather n=938 (not reached)', \
     $p35 with points pt 7 ps 2 title 'overwrite n=1', \
     $p36 with points pt 5 ps 2 title 'overwrite n=2', \
     $p37 with points pt 8 ps 2 title 'overwrite n=4 (not reached)', \
     $p38 with points pt 10 ps 2 title 'overwrite n=8 (not reached)', \
     $p39 with points pt 12 ps 2 title 'overwrite n=16 (not reached)', \
     $p40 with points pt 6 ps 2 title 'overwrite n=64 (not reached)', \
     $p41 with points pt 4 ps 2 title 'overwrite n=938 (not reached)', \
     $p42 with points pt 9 ps 2 title 'apply n=1', \
     $p43 with points pt 11 ps 2 title 'apply n=2', \
     $p44 with points pt 12 ps 2 title 'apply n=4 (not reached)', \
     $p45 with points pt 6 ps 2 title 'apply n=8 (not reached)', \
     $p46 with points pt 4 ps 2 title 'apply n=16 (not reached)', \
     $p47 with points pt 8 ps 2 title 'apply n=64 (not reached)', \
     $p48 with points pt 10 ps 2 title 'apply n=938 (not reached)'
