#!/bin/sh
# The crossover's own calibration: seconds per sample of each family's workload at its default
# batch on one thread and on two (the speed-up `siren ps` scales an instance's vCPUs with), and
# a parameter server's update cost, all measured in one sitting on this host so that the
# Lambda and the EC2 side compute at the same speed. Usage: calibrate.sh [SIREN]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
siren=${1:-$here/../../build/siren}
out=$here/calibration.json
for w in lr-criteo lenet-fashion textcnn-polarity; do
    rows=
    [ "$w" = lr-criteo ] && rows="--rows 100000"
    "$siren" calibrate --workload "$w" $rows --reps 41 --out "$out"
    "$siren" calibrate --workload "$w" $rows --reps 41 --threads 2 --out "$out"
    "$siren" calibrate --workload "$w" $rows --reps 41 --server-update --out "$out"
done
