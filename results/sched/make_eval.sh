#!/bin/sh
# Reproduces results/sched: trains the DRL policies in the simulator, evaluates every policy
# at each workload's default budget (replaying each schedule in the emulator for fidelity),
# and evaluates at 0.5x and 2x the budget a policy trained at the default budget and one
# trained over budgets in [B/2, 2B] (--budget-spread 2). The loss models must exist
# (make_runs.sh, then `siren sim fit`; the *-round1-* runs are the emulated schedules of a
# first round of this script, copied from eval-W/emulated-K).
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build-sched/siren}
R=results/sched
for w in lr-ctr lenet-fashion textcnn-polarity; do
    "$SIREN" sched train --workload $w --episodes 300000 --seed 1 --out $R/$w.policy.json \
        > $R/$w.train.txt
    "$SIREN" sched train --workload $w --episodes 300000 --seed 1 --budget-spread 2 \
        --out $R/$w.spread2.policy.json > $R/$w.spread2.train.txt
done
for w in lr-ctr lenet-fashion; do
    "$SIREN" sched eval --workload $w --emulate --out $R/eval-$w > /dev/null
done
P() { echo "drl:$R/$1.policy.json,drl:$R/$1.spread2.policy.json,grid,heuristic,oracle"; }
"$SIREN" sched eval --workload lr-ctr --budget 0.015 --policies "$(P lr-ctr)" --out $R/eval-lr-ctr-0.5x > /dev/null
"$SIREN" sched eval --workload lr-ctr --budget 0.03 --policies "$(P lr-ctr)" --out $R/eval-lr-ctr-1x > /dev/null
"$SIREN" sched eval --workload lr-ctr --budget 0.06 --policies "$(P lr-ctr)" --out $R/eval-lr-ctr-2x > /dev/null
"$SIREN" sched eval --workload lenet-fashion --budget 0.005 --policies "$(P lenet-fashion)" --out $R/eval-lenet-fashion-0.5x > /dev/null
"$SIREN" sched eval --workload lenet-fashion --budget 0.01 --policies "$(P lenet-fashion)" --out $R/eval-lenet-fashion-1x > /dev/null
"$SIREN" sched eval --workload lenet-fashion --budget 0.02 --policies "$(P lenet-fashion)" --out $R/eval-lenet-fashion-2x > /dev/null
# textcnn-polarity last: its emulated epochs take tens of seconds each.
"$SIREN" sched eval --workload textcnn-polarity --emulate --out $R/eval-textcnn-polarity > /dev/null
