# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-lr-synthetic-lambda-2019-loss-cost.png'
set title 'lr: lr-synthetic on lambda-2019'
set xlabel 'cost (USD)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
0.00018785 0.533692
0.0003757 0.522621
EOD
$d1 << EOD
0.0002184 0.533693
0.0004368 0.522612
EOD
$d2 << EOD
0.000296067 0.533693
0.000592134 0.522618
EOD
$d3 << EOD
0.000581 0.533691
0.001162 0.522607
EOD
$d4 << EOD
0.001698717 0.53366
0.003397434 0.522576
EOD
$d5 << EOD
0.023325636 0.533492
0.046651272 0.522461
EOD
$d6 << EOD
5.54983073 8.111397
11.0996615 0.564008
16.6494922 3.813429
22.1993229 12.467789
27.7491537 20.036138
33.2989844 11.99476
38.8488151 3.953381
44.3986458 11.320748
EOD
$d7 << EOD
0.00018785 0.533692
0.0003757 0.522621
EOD
$d8 << EOD
0.001431384 0.53457
0.002862768 0.523104
EOD
$d9 << EOD
0.002609801 0.534921
0.005219602 0.523307
EOD
$d10 << EOD
0.005124851 0.53495
0.010249702 0.523309
EOD
$d11 << EOD
0.010950718 0.534638
0.021901436 0.523105
EOD
$d12 << EOD
0.047967487 0.533469
0.095934974 0.522442
EOD
$d13 << EOD
5.54983073 8.111397
11.0996615 0.564008
16.6494922 3.813429
22.1993229 12.467789
27.7491537 20.036138
33.2989844 11.99476
38.8488151 3.953381
44.3986458 11.320748
EOD
$d14 << EOD
0.00018785 0.533692
0.0003757 0.522621
EOD
$d15 << EOD
0.011285557 0.534638
0.022571114 0.523143
EOD
$d16 << EOD
0.010460541 0.53513
0.020921082 0.523422
EOD
$d17 << EOD
0.010382591 0.535359
0.020765182 0.523532
EOD
$d18 << EOD
0.011740311 0.535422
0.023480622 0.523547
EOD
$d19 << EOD
0.019960061 0.534977
0.039920122 0.523325
EOD
$d20 << EOD
0.009505023 8.111397
0.019010046 0.564007
0.028515069 3.813412
0.038020092 12.467841
0.047525115 20.036121
0.057030138 11.994742
0.066535161 3.953363
0.076040184 11.320802
EOD
$d21 << EOD
0.00018785 0.533692
0.0003757 0.522621
EOD
$d22 << EOD
0.013974723 0.534638
0.027949446 0.523143
EOD
$d23 << EOD
0.025639806 0.53513
0.051279612 0.523422
EOD
$d24 << EOD
0.04887579 0.535359
0.09775158 0.523532
EOD
$d25 << EOD
0.097087261 0.535422
0.194174522 0.523547
EOD
$d26 << EOD
0.379884166 0.534977
0.759768332 0.523325
EOD
$d27 << EOD
5.54983073 8.111397
11.0996615 0.564007
16.6494922 3.813412
22.1993229 12.467841
27.7491537 20.036121
33.2989844 11.994742
38.8488151 3.953363
44.3986458 11.320802
EOD
$d28 << EOD
0.00018785 0.533692
0.0003757 0.522621
EOD
$d29 << EOD
0.007116387 0.534638
0.014232774 0.523143
EOD
$d30 << EOD
0.008144804 0.53513
0.016289608 0.523422
EOD
$d31 << EOD
0.010189121 0.535359
0.020378242 0.523532
EOD
$d32 << EOD
0.014942441 0.535422
0.029884882 0.523547
EOD
$d33 << EOD
0.041143575 0.534977
0.08228715 0.523325
EOD
$d34 << EOD
0.009505023 8.111397
0.019010046 0.564007
0.028515069 3.813412
0.038020092 12.467841
0.047525115 20.036121
0.057030138 11.994742
0.066535161 3.953363
0.076040184 11.320802
EOD
$d35 << EOD
0.008346455 0.533723
0.01669291 0.522622
EOD
$d36 << EOD
0.008349572 0.543061
0.016699144 0.533766
0.025048716 0.527411
EOD
$d37 << EOD
0.008355805 0.549888
0.01671161 0.543093
0.025067415 0.53783
0.03342322 0.533677
0.041779025 0.530299
0.05013483 0.527353
EOD
$d38 << EOD
0.008368272 0.554482
0.016736544 0.549919
0.025104816 0.546245
0.033473088 0.543069
0.04184136 0.540337
0.050209632 0.537865
0.058577904 0.535695
0.066946176 0.533748
EOD
$d39 << EOD
0.008369872 0.560838
0.016739744 0.554263
0.025109616 0.55196
0.033479488 0.549864
0.04184936 0.54796
0.050219232 0.546167
0.058589104 0.544532
0.066958976 0.542982
EOD
$d40 << EOD
0.008426139 0.609463
0.016852278 0.576947
0.025278417 0.565311
0.033704556 0.560245
0.042130695 0.557657
0.050556834 0.556065
0.058982973 0.554993
0.067409112 0.554267
EOD
$d41 << EOD
0.008916673 0.684354
0.017833346 0.677083
0.026750019 0.67006
0.035666692 0.663643
0.044583365 0.65709
0.053500038 0.651119
0.062416711 0.645252
0.071333384 0.639794
EOD
$d42 << EOD
0.009586457 0.533723
0.019172914 0.522622
EOD
$d43 << EOD
0.009589573 0.543061
0.019179146 0.533766
0.028768719 0.527411
EOD
$d44 << EOD
0.009595807 0.549888
0.019191614 0.543093
0.028787421 0.53783
0.038383228 0.533677
0.047979035 0.530299
0.057574842 0.527353
EOD
$d45 << EOD
0.009608273 0.554482
0.019216546 0.549919
0.028824819 0.546245
0.038433092 0.543069
0.048041365 0.540337
0.057649638 0.537865
0.067257911 0.535695
0.076866184 0.533748
EOD
$d46 << EOD
0.009609873 0.560838
0.019219746 0.554263
0.028829619 0.55196
0.038439492 0.549864
0.048049365 0.54796
0.057659238 0.546167
0.067269111 0.544532
0.076878984 0.542982
EOD
$d47 << EOD
0.009689474 0.609463
0.019378948 0.576947
0.029068422 0.565311
0.038757896 0.560245
0.04844737 0.557657
0.058136844 0.556065
0.067826318 0.554993
0.077515792 0.554267
EOD
$d48 << EOD
0.012233345 0.684354
0.02446669 0.677083
0.036700035 0.67006
0.04893338 0.663643
0.061166725 0.65709
0.07340007 0.651119
0.085633415 0.645252
0.09786676 0.639794
EOD
set logscale x
plot $d0 with linespoints lw 2 title 'average n=1', \
     $d1 with linespoints lw 2 title 'average n=2', \
     $d2 with linespoints lw 2 title 'average n=4', \
     $d3 with linespoints lw 2 title 'average n=8', \
     $d4 with linespoints lw 2 title 'average n=16', \
     $d5 with linespoints lw 2 title 'average n=64', \
     $d6 with linespoints lw 2 title 'average n=1000', \
     $d7 with linespoints lw 2 title 'average:10 n=1', \
     $d8 with linespoints lw 2 title 'average:10 n=2', \
     $d9 with linespoints lw 2 title 'average:10 n=4', \
     $d10 with linespoints lw 2 title 'average:10 n=8', \
     $d11 with linespoints lw 2 title 'average:10 n=16', \
     $d12 with linespoints lw 2 title 'average:10 n=64', \
     $d13 with linespoints lw 2 title 'average:10 n=1000', \
     $d14 with linespoints lw 2 title 'allreduce n=1', \
     $d15 with linespoints lw 2 title 'allreduce n=2', \
     $d16 with linespoints lw 2 title 'allreduce n=4', \
     $d17 with linespoints lw 2 title 'allreduce n=8', \
     $d18 with linespoints lw 2 title 'allreduce n=16', \
     $d19 with linespoints lw 2 title 'allreduce n=64', \
     $d20 with linespoints lw 2 title 'allreduce n=1000', \
     $d21 with linespoints lw 2 title 'scatter-reduce n=1', \
     $d22 with linespoints lw 2 title 'scatter-reduce n=2', \
     $d23 with linespoints lw 2 title 'scatter-reduce n=4', \
     $d24 with linespoints lw 2 title 'scatter-reduce n=8', \
     $d25 with linespoints lw 2 title 'scatter-reduce n=16', \
     $d26 with linespoints lw 2 title 'scatter-reduce n=64', \
     $d27 with linespoints lw 2 title 'scatter-reduce n=1000', \
     $d28 with linespoints lw 2 title 'allgather n=1', \
     $d29 with linespoints lw 2 title 'allgather n=2', \
     $d30 with linespoints lw 2 title 'allgather n=4', \
     $d31 with linespoints lw 2 title 'allgather n=8', \
     $d32 with linespoints lw 2 title 'allgather n=16', \
     $d33 with linespoints lw 2 title 'allgather n=64', \
     $d34 with linespoints lw 2 title 'allgather n=1000', \
     $d35 with linespoints lw 2 title 'overwrite n=1', \
     $d36 with linespoints lw 2 title 'overwrite n=2', \
     $d37 with linespoints lw 2 title 'overwrite n=4', \
     $d38 with linespoints lw 2 title 'overwrite n=8', \
     $d39 with linespoints lw 2 title 'overwrite n=16', \
     $d40 with linespoints lw 2 title 'overwrite n=64', \
     $d41 with linespoints lw 2 title 'overwrite n=1000', \
     $d42 with linespoints lw 2 title 'apply n=1', \
     $d43 with linespoints lw 2 title 'apply n=2', \
     $d44 with linespoints lw 2 title 'apply n=4', \
     $d45 with linespoints lw 2 title 'apply n=8', \
     $d46 with linespoints lw 2 title 'apply n=16', \
     $d47 with linespoints lw 2 title 'apply n=64', \
     $d48 with linespoints lw 2 title 'apply n=1000'
