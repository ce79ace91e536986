# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-lr-synthetic-lambda-2019-scaling.png'
set title 'lr-synthetic on lambda-2019: time to target'
set xlabel 'functions'
set ylabel 'speed-up over 1 function'
set grid
set key outside right top
set terminal pngcairo size 1280,520 noenhanced font ',10'
set output '/tmp/scal3/out/lr-lr-synthetic-lambda-2019-scaling.png'
set logscale x 2
set logscale y
set key top left
set multiplot layout 1,2
$p0_0 << EOD
1 1
2 1.87022933
4 3.41153356
8 5.80254849
16 7.85019996
64 6.67153028
EOD
$p0_1 << EOD
1 1
2 1.00755912
4 1.87866604
8 3.27188154
16 3.55718153
64 4.0592336
EOD
$p0_2 << EOD
1 1
2 0.100584782
4 0.188114174
8 0.333005886
16 0.471214679
64 0.725391292
EOD
$p0_3 << EOD
1 1
2 0.107435928
4 0.209977459
8 0.411637086
16 0.48625921
64 0.643533309
EOD
$p0_4 << EOD
1 1
2 0.199594585
4 0.350261565
8 0.562608206
16 0.662507031
64 0.812797566
EOD
$p0_5 << EOD
1 1
2 1.33263443
4 1.33248204
EOD
$p0_6 << EOD
1 1
2 1.33280735
4 1.33269264
EOD
plot $p0_0 with linespoints lw 2 pt 1 title 'average', \
     $p0_1 with linespoints lw 2 pt 2 title 'average:10', \
     $p0_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p0_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p0_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p0_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p0_6 with linespoints lw 2 pt 7 title 'apply'
set title 'cost of the run (to the target, or to its last epoch)'
set ylabel 'cost (USD)'
$p1_0 << EOD
1 0.000375700665
2 0.0004368007
4 0.00059213408
8 0.00116200084
16 0.00339743446
64 0.0466512712
1000 44.3986458
EOD
$p1_1 << EOD
1 0.000375700665
2 0.00286276798
4 0.0052196014
8 0.0102497015
16 0.0219014361
64 0.0959349749
1000 44.3986458
EOD
$p1_2 << EOD
1 0.000375700665
2 0.0225711135
4 0.020921081
8 0.0207651828
16 0.0234806226
64 0.0399201228
1000 0.0760401829
EOD
$p1_3 << EOD
1 0.000375700665
2 0.0279494459
4 0.0512796129
8 0.0977515797
16 0.194174522
64 0.759768331
1000 44.3986458
EOD
$p1_4 << EOD
1 0.000375700665
2 0.0142327734
4 0.0162896077
8 0.0203782429
16 0.0298848826
64 0.0822871497
1000 0.0760401829
EOD
$p1_5 << EOD
1 0.0166929102
2 0.0250487153
4 0.0501348307
8 0.0669461744
16 0.0669589744
64 0.0674091085
1000 0.07133338
EOD
$p1_6 << EOD
1 0.0191729135
2 0.0287687203
4 0.0575748407
8 0.0768661878
16 0.0768789878
64 0.077515789
1000 0.09786676
EOD
plot $p1_0 with linespoints lw 2 pt 1 title 'average', \
     $p1_1 with linespoints lw 2 pt 2 title 'average:10', \
     $p1_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p1_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p1_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p1_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p1_6 with linespoints lw 2 pt 7 title 'apply'
unset multiplot
