#!/bin/sh
# The calibration every run of the paper suite uses (siren run, siren sched eval and siren ps
# alike, so Lambda functions and EC2 workers compute at the same measured speed per sample):
# seconds per sample of each workload at the suite's batch size, on one thread and on two
# OpenBLAS threads (the multi-vCPU speed-up `siren ps` applies to m4 instances), and a
# server's update per parameter. Run on an
# otherwise idle machine; the file records its host, commit and date.
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build/siren}
out=results/paper/calibration.json
rm -f "$out"
for wb in lr-ctr:16 lenet-fashion:256 textcnn-polarity:50; do
  w=${wb%:*} b=${wb#*:}
  OPENBLAS_NUM_THREADS=1 "$SIREN" calibrate --workload "$w" --batch "$b" --reps 101 --out "$out"
  "$SIREN" calibrate --workload "$w" --batch "$b" --threads 2 --reps 101 --out "$out"
  # What a parameter server of `siren ps` spends per parameter on an update.
  OPENBLAS_NUM_THREADS=1 "$SIREN" calibrate --workload "$w" --batch "$b" --server-update \
      --reps 101 --out "$out"
done
