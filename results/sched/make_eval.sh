#!/bin/sh
# Reproduces results/sched: trains the DRL policies in the simulator (PPO, the default of
# `siren sched train`), evaluates every policy at each workload's default budget (replaying
# each schedule in the emulator for fidelity), and evaluates at 0.5x, 1x and 2x the budget a
# policy trained at the default budget and one trained over budgets in [B/2, 2B]
# (--budget-spread 2). The loss models must exist (make_runs.sh fits them).
# WORKLOADS="lr-ctr lenet-fashion" limits the workloads (default: all three); TRAIN=0 keeps the
# committed policies and only evaluates.
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build-sched/siren}
WORKLOADS=${WORKLOADS:-lr-ctr lenet-fashion textcnn-polarity}
R=results/sched
EPISODES=200000
budget() { case $1 in lr-ctr) echo 0.03;; lenet-fashion) echo 0.01;; textcnn-polarity) echo 0.05;; esac; }
P() { echo "drl:$R/$1.policy.json,drl:$R/$1.spread2.policy.json,grid,heuristic,bo,model,oracle"; }
for w in $WORKLOADS; do
    if [ "${TRAIN:-1}" != 0 ]; then
        "$SIREN" sched train --workload $w --episodes $EPISODES --seed 1 \
            --out $R/$w.policy.json > $R/$w.train.txt
        "$SIREN" sched train --workload $w --episodes $EPISODES --seed 1 --budget-spread 2 \
            --out $R/$w.spread2.policy.json > $R/$w.spread2.train.txt
    fi
    # textcnn-polarity's emulated epochs take tens of seconds each.
    "$SIREN" sched eval --workload $w --emulate --out $R/eval-$w > /dev/null
    B=$(budget $w)
    for x in 0.5 1 2; do
        "$SIREN" sched eval --workload $w --budget "$(awk "BEGIN { print $B * $x }")" \
            --policies "$(P $w)" --out $R/eval-$w-${x}x > /dev/null
    done
done
