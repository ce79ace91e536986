# Drawn by siren (bench/suite_plot.c); run `gnuplot THIS_FILE` to redraw.
set terminal pngcairo size 960,600 noenhanced font ',10'
set output '/tmp/scal3/out/lr-lr-synthetic-lambda-2019-loss-time.png'
set title 'lr: lr-synthetic on lambda-2019'
set xlabel 'virtual time (s)'
set ylabel 'held-out loss'
set grid
set key outside right top
$d0 << EOD
5.939542 0.533692
11.634084 0.522621
EOD
$d1 << EOD
3.232836 0.533693
6.220672 0.522612
EOD
$d2 << EOD
1.82761 0.533693
3.41022 0.522618
EOD
$d3 << EOD
1.124998 0.533691
2.004996 0.522607
EOD
$d4 << EOD
0.863506 0.53366
1.482012 0.522576
EOD
$d5 << EOD
0.99442 0.533492
1.74384 0.522461
EOD
$d6 << EOD
7.873494 8.111397
15.501988 0.564008
23.130482 3.813429
30.758976 12.467789
38.38747 20.036138
46.015964 11.99476
53.644458 3.953381
61.272952 11.320748
EOD
$d7 << EOD
5.939542 0.533692
11.634084 0.522621
EOD
$d8 << EOD
5.8959 0.53457
11.5468 0.523104
EOD
$d9 << EOD
3.218868 0.534921
6.192736 0.523307
EOD
$d10 << EOD
1.900389 0.53495
3.555778 0.523309
EOD
$d11 << EOD
1.757795 0.534638
3.27059 0.523105
EOD
$d12 << EOD
1.555539 0.533469
2.866078 0.522442
EOD
$d13 << EOD
7.873494 8.111397
15.501988 0.564008
23.130482 3.813429
30.758976 12.467789
38.38747 20.036138
46.015964 11.99476
53.644458 3.953381
61.272952 11.320748
EOD
$d14 << EOD
5.939542 0.533692
11.634084 0.522621
EOD
$d15 << EOD
57.954723 0.534638
115.664446 0.523143
EOD
$d16 << EOD
31.045431 0.53513
61.845862 0.523422
EOD
$d17 << EOD
17.590785 0.535359
34.93657 0.523532
EOD
$d18 << EOD
12.46728 0.535422
24.68956 0.523547
EOD
$d19 << EOD
8.141678 0.534977
16.038356 0.523325
EOD
$d20 << EOD
6.607694 8.111397
12.970388 0.564007
19.333082 3.813412
25.695776 12.467841
32.05847 20.036121
38.421164 11.994742
44.783858 3.953363
51.146552 11.320802
EOD
$d21 << EOD
5.939542 0.533692
11.634084 0.522621
EOD
$d22 << EOD
54.266786 0.534638
108.288572 0.523143
EOD
$d23 << EOD
27.825672 0.53513
55.406344 0.523422
EOD
$d24 << EOD
14.253981 0.535359
28.262962 0.523532
EOD
$d25 << EOD
12.085341 0.535422
23.925682 0.523547
EOD
$d26 << EOD
9.161724 0.534977
18.078448 0.523325
EOD
$d27 << EOD
7.873494 8.111397
15.501988 0.564007
23.130482 3.813412
30.758976 12.467841
38.38747 20.036121
46.015964 11.994742
53.644458 3.953363
61.272952 11.320802
EOD
$d28 << EOD
5.939542 0.533692
11.634084 0.522621
EOD
$d29 << EOD
29.266786 0.534638
58.288572 0.523143
EOD
$d30 << EOD
16.730207 0.53513
33.215414 0.523422
EOD
$d31 << EOD
10.461918 0.535359
20.678836 0.523532
EOD
$d32 << EOD
8.902847 0.535422
17.560694 0.523547
EOD
$d33 << EOD
7.279315 0.534977
14.31363 0.523325
EOD
$d34 << EOD
6.607694 8.111397
12.970388 0.564007
19.333082 3.813412
25.695776 12.467841
32.05847 20.036121
38.421164 11.994742
44.783858 3.953363
51.146552 11.320802
EOD
$d35 << EOD
87.515563 0.533723
174.786126 0.522622
EOD
$d36 << EOD
43.882781 0.543061
87.520562 0.533766
131.158343 0.527411
EOD
$d37 << EOD
22.066391 0.549888
43.887782 0.543093
65.709173 0.53783
87.530564 0.533677
109.351955 0.530299
131.173346 0.527353
EOD
$d38 << EOD
11.158195 0.554482
22.07139 0.549919
32.984585 0.546245
43.89778 0.543069
54.810975 0.540337
65.72417 0.537865
76.637365 0.535695
87.55056 0.533748
EOD
$d39 << EOD
5.74773 0.560838
11.25046 0.554263
16.75319 0.55196
22.25592 0.549864
27.75865 0.54796
33.26138 0.546167
38.76411 0.544532
44.26684 0.542982
EOD
$d40 << EOD
1.646249 0.609463
3.047498 0.576947
4.448747 0.565311
5.849996 0.560245
7.251245 0.557657
8.652494 0.556065
10.053743 0.554993
11.454992 0.554267
EOD
$d41 << EOD
0.337266 0.684354
0.429532 0.677083
0.521798 0.67006
0.614064 0.663643
0.70633 0.65709
0.798596 0.651119
0.890862 0.645252
0.983128 0.639794
EOD
$d42 << EOD
116.260991 0.533723
232.276982 0.522622
EOD
$d43 << EOD
58.255496 0.543061
116.265992 0.533766
174.276488 0.527411
EOD
$d44 << EOD
29.252748 0.549888
58.260496 0.543093
87.268244 0.53783
116.275992 0.533677
145.28374 0.530299
174.291488 0.527353
EOD
$d45 << EOD
14.751374 0.554482
29.257748 0.549919
43.764122 0.546245
58.270496 0.543069
72.77687 0.540337
87.283244 0.537865
101.789618 0.535695
116.295992 0.533748
EOD
$d46 << EOD
7.558692 0.560838
14.872384 0.554263
22.186076 0.55196
29.499768 0.549864
36.81346 0.54796
44.127152 0.546167
51.440844 0.544532
58.754536 0.542982
EOD
$d47 << EOD
2.106176 0.609463
3.967352 0.576947
5.828528 0.565311
7.689704 0.560245
9.55088 0.557657
11.412056 0.556065
13.273232 0.554993
15.134408 0.554267
EOD
$d48 << EOD
0.366011 0.684354
0.487022 0.677083
0.608033 0.67006
0.729044 0.663643
0.850055 0.65709
0.971066 0.651119
1.092077 0.645252
1.213088 0.639794
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
