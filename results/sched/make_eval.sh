#!/bin/sh
# Reproduces results/sched: trains the DRL policies in the simulator, evaluates every policy
# at each workload's default budget (with the emulator replay for fidelity), and evaluates
# each policy at 0.5x and 2x its training budget. Needs the loss models in
# results/sched/models (make_runs.sh, then `siren sim fit`).
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build-sched/siren}
R=results/sched
for w in lr-ctr lenet-fashion; do
    "$SIREN" sched train --workload $w --episodes 300000 --seed 1 --out $R/$w.policy.json \
        > $R/$w.train.txt
    "$SIREN" sched eval --workload $w --emulate --out $R/eval-$w > /dev/null
done
# Generalisation: the same policies at half and twice the default budget (simulator only).
"$SIREN" sched eval --workload lr-ctr --budget 0.015 --out $R/eval-lr-ctr-0.5x > /dev/null
"$SIREN" sched eval --workload lr-ctr --budget 0.06 --out $R/eval-lr-ctr-2x > /dev/null
"$SIREN" sched eval --workload lenet-fashion --budget 0.005 --out $R/eval-lenet-fashion-0.5x > /dev/null
"$SIREN" sched eval --workload lenet-fashion --budget 0.02 --out $R/eval-lenet-fashion-2x > /dev/null
