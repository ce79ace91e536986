# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lenet-lenet-fashion-lambda-2019-scaling.png'
set title 'lenet-fashion on lambda-2019: time to target'
set xlabel 'functions'
set ylabel 'speed-up over 1 function'
set grid
set key outside right top
set terminal pngcairo size 1280,520 noenhanced font ',10'
set output '/tmp/scal3/out/lenet-lenet-fashion-lambda-2019-scaling.png'
set logscale x 2
set logscale y
set key top left
set multiplot layout 1,2
$p0_0 << EOD
1 1
2 1.65970812
4 2.00702083
8 1.78417152
EOD
$p0_1 << EOD
1 1
2 0.535864613
4 0.753992891
8 0.899925035
EOD
$p0_2 << EOD
1 1
2 0.0448077976
4 0.0840226327
8 0.112428244
16 0.108480968
EOD
$p0_3 << EOD
1 1
2 0.0476307333
4 0.0930550419
8 0.137018599
16 0.110124746
EOD
$p0_4 << EOD
1 1
2 0.0873355613
4 0.154617038
8 0.1896842
16 0.153269682
EOD
$p0_5 << EOD
1 1
2 0.800180009
EOD
$p0_6 << EOD
1 1
2 0.800134857
EOD
plot $p0_0 with linespoints lw 2 pt 1 title 'average', \
     $p0_1 with linespoints lw 2 pt 2 title 'average:16', \
     $p0_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p0_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p0_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p0_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p0_6 with linespoints lw 2 pt 7 title 'apply'
set title 'cost of the run (to the target, or to its last epoch)'
set ylabel 'cost (USD)'
$p1_0 << EOD
1 0.00023400042
2 0.00033560049
4 0.00077300077
8 0.00335848501
16 0.0159458371
64 0.231306852
938 48.8349046
EOD
$p1_1 << EOD
1 0.00023400042
2 0.00275730158
4 0.00652560224
8 0.0193203037
16 0.0629058427
64 0.231306852
938 48.8349046
EOD
$p1_2 << EOD
1 0.00023400042
2 0.0318226692
4 0.0294828204
8 0.038941097
16 0.0654936626
64 0.181879753
938 0.0890988914
EOD
$p1_3 << EOD
1 0.00023400042
2 0.039429518
4 0.0721884684
8 0.183251892
16 0.546444162
64 3.5612628
938 48.8349046
EOD
$p1_4 << EOD
1 0.00023400042
2 0.0201301598
4 0.0230002111
8 0.0382204846
16 0.0835776441
64 0.37977439
938 0.0890988914
EOD
$p1_5 << EOD
1 0.0155420427
2 0.03887069
4 0.07774538
8 0.0778117135
16 0.0780610473
64 0.0781570473
938 0.0836383881
EOD
$p1_6 << EOD
1 0.0178499458
2 0.0446258644
4 0.0892557288
8 0.0893220623
16 0.0895713961
64 0.0906007313
938 0.114748776
EOD
plot $p1_0 with linespoints lw 2 pt 1 title 'average', \
     $p1_1 with linespoints lw 2 pt 2 title 'average:16', \
     $p1_2 with linespoints lw 2 pt 3 title 'allreduce', \
     $p1_3 with linespoints lw 2 pt 4 title 'scatter-reduce', \
     $p1_4 with linespoints lw 2 pt 5 title 'allgather', \
     $p1_5 with linespoints lw 2 pt 6 title 'overwrite', \
     $p1_6 with linespoints lw 2 pt 7 title 'apply'
unset multiplot
