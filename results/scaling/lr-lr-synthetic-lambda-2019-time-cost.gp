# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-lr-synthetic-lambda-2019-time-cost.png'
set title 'lr: lr-synthetic on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'time to target loss (s); hollow: not reached, total time'
set grid
set key outside right top
$p0 << EOD
0.000375700665 11.6340832
EOD
$p1 << EOD
0.0004368007 6.22067197
EOD
$p2 << EOD
0.00059213408 3.41022094
EOD
$p3 << EOD
0.00116200084 2.00499542
EOD
$p4 << EOD
0.00339743446 1.48201106
EOD
$p5 << EOD
0.0466512712 1.74384027
EOD
$p6 << EOD
44.3986458 61.2729549
EOD
$p7 << EOD
0.000375700665 11.6340832
EOD
$p8 << EOD
0.00286276798 11.5467996
EOD
$p9 << EOD
0.0052196014 6.19273618
EOD
$p10 << EOD
0.0102497015 3.55577763
EOD
$p11 << EOD
0.0219014361 3.27059023
EOD
$p12 << EOD
0.0959349749 2.86607875
EOD
$p13 << EOD
44.3986458 61.2729549
EOD
$p14 << EOD
0.000375700665 11.6340832
EOD
$p15 << EOD
0.0225711135 115.664446
EOD
$p16 << EOD
0.020921081 61.8458616
EOD
$p17 << EOD
0.0207651828 34.9365692
EOD
$p18 << EOD
0.0234806226 24.6895602
EOD
$p19 << EOD
0.0399201228 16.0383551
EOD
$p20 << EOD
0.0760401829 51.1465531
EOD
$p21 << EOD
0.000375700665 11.6340832
EOD
$p22 << EOD
0.0279494459 108.288571
EOD
$p23 << EOD
0.0512796129 55.4063433
EOD
$p24 << EOD
0.0977515797 28.2629616
EOD
$p25 << EOD
0.194174522 23.9256819
EOD
$p26 << EOD
0.759768331 18.0784475
EOD
$p27 << EOD
44.3986458 61.2729549
EOD
$p28 << EOD
0.000375700665 11.6340832
EOD
$p29 << EOD
0.0142327734 58.288571
EOD
$p30 << EOD
0.0162896077 33.2154148
EOD
$p31 << EOD
0.0203782429 20.6788366
EOD
$p32 << EOD
0.0298848826 17.5606939
EOD
$p33 << EOD
0.0822871497 14.3136294
EOD
$p34 << EOD
0.0760401829 51.1465531
EOD
$p35 << EOD
0.0166929102 174.786125
EOD
$p36 << EOD
0.0250487153 131.158344
EOD
$p37 << EOD
0.0501348307 131.173344
EOD
$p38 << EOD
0.0669461744 87.5505626
EOD
$p39 << EOD
0.0669589744 44.2668435
EOD
$p40 << EOD
0.0674091085 11.454992
EOD
$p41 << EOD
0.07133338 0.9831245
EOD
$p42 << EOD
0.0191729135 232.276982
EOD
$p43 << EOD
0.0287687203 174.276487
EOD
$p44 << EOD
0.0575748407 174.291487
EOD
$p45 << EOD
0.0768661878 116.295991
EOD
$p46 << EOD
0.0768789878 58.7545395
EOD
$p47 << EOD
0.077515789 15.1344069
EOD
$p48 << EOD
0.09786676 1.21308793
EOD
set logscale x
set logscale y
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot $p0 with points pt 7 ps 2 title 'average n=1', \
     $p1 with points pt 5 ps 2 title 'average n=2', \
     $p2 with points pt 9 ps 2 title 'average n=4', \
     $p3 with points pt 11 ps 2 title 'average n=8', \
     $p4 with points pt 13 ps 2 title 'average n=16', \
     $p5 with points pt 7 ps 2 title 'average n=64', \
     $p6 with points pt 4 ps 2 title 'average n=1000 (not reached)', \
     $p7 with points pt 9 ps 2 title 'average:10 n=1', \
     $p8 with points pt 11 ps 2 title 'average:10 n=2', \
     $p9 with points pt 13 ps 2 title 'average:10 n=4', \
     $p10 with points pt 7 ps 2 title 'average:10 n=8', \
     $p11 with points pt 5 ps 2 title 'average:10 n=16', \
     $p12 with points pt 9 ps 2 title 'average:10 n=64', \
     $p13 with points pt 10 ps 2 title 'average:10 n=1000 (not reached)', \
     $p14 with points pt 13 ps 2 title 'allreduce n=1', \
     $p15 with points pt 7 ps 2 title 'allreduce n=2', \
     $p16 with points pt 5 ps 2 title 'allreduce n=4', \
     $p17 with points pt 9 ps 2 title 'allreduce n=8', \
     $p18 with points pt 11 ps 2 title 'allreduce n=16', \
     $p19 with points pt 13 ps 2 title 'allreduce n=64', \
     $p20 with points pt 6 ps 2 title 'allreduce n=1000 (not reached)', \
     $p21 with points pt 5 ps 2 title 'scatter-reduce n=1', \
     $p22 with points pt 9 ps 2 title 'scatter-reduce n=2', \
     $p23 with points pt 11 ps 2 title 'scatter-reduce n=4', \
     $p24 with points pt 13 ps 2 title 'scatter-reduce n=8', \
     $p25 with points pt 7 ps 2 title 'scatter-reduce n=16', \
     $p26 with points pt 5 ps 2 title 'scatter-reduce n=64', \
     $p27 with points pt 8 ps 2 title 'scatter-reduce n=1000 (not reached)', \
     $p28 with points pt 11 ps 2 title 'allgather n=1', \
     $p29 with points pt 13 ps 2 title 'allgather n=2', \
     $p30 with points pt 7 ps 2 title 'allgather n=4', \
     $p31 with points pt 5 ps 2 title 'allgather n=8', \
     $p32 with points pt 9 ps 2 title 'allgather n=16', \
     $p33 with points pt 11 ps 2 title 'allgather n=64', \
     $p34 with points pt 12 ps 2 title 'allgather n=1000 (not reached)', \
     $p35 with points pt 7 ps 2 title 'overwrite n=1', \
     $p36 with points pt 5 ps 2 title 'overwrite n=2', \
     $p37 with points pt 9 ps 2 title 'overwrite n=4', \
     $p38 with points pt 10 ps 2 title 'overwrite n=8 (not reached)', \
     $p39 with points pt 12 ps 2 title 'overwrite n=16 (not reached)', \
     $p40 with points pt 6 ps 2 title 'overwrite n=64 (not reached)', \
     $p41 with points pt 4 ps 2 title 'overwrite n=1000 (not reached)', \
     $p42 with points pt 9 ps 2 title 'apply n=1', \
     $p43 with points pt 11 ps 2 title 'apply n=2', \
     $p44 with points pt 13 ps 2 title 'apply n=4', \
     $p45 with points pt 6 ps 2 title 'apply n=8 (not reached)', \
     $p46 with points pt 4 ps 2 title 'apply n=16 (not reached)', \
     $p47 with points pt 8 ps 2 title 'apply n=64 (not reached)', \
     $p48 with points pt 10 ps 2 title 'apply n=1000 (not reached)'
