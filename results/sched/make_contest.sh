#!/bin/sh
# The scheduler contest (sched/README.md, "Contest"): trains the DRL agents once per workload
# of contest.json (PPO, 200,000 episodes, planning to the real target): drl at the default
# budget, drl-spread over budgets in [B/2, 2B]; then runs `siren sched eval --matrix
# contest.json --emulate`, one process per workload, two at a time, and gathers the report: contest/contest.md, contest.csv,
# contest.png, and the agents' learning curves in contest/learning.png.
# WORKLOADS="lenet-fashion" limits the workloads run (the report gathers whatever is there);
# TRAIN=0 keeps the agents there (training is deterministic: the same seed gives the same bits).
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build/siren}
R=results/sched
OUT=$R/contest
WORKLOADS=${WORKLOADS:-lr-criteo lenet-fashion textcnn-polarity}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p $OUT
# The options of a workload in contest.json, paths as the suite gives them.
args() {
    /usr/bin/python3 -c "import json
for w in json.load(open('$R/contest.json'))['workloads']:
    if w['name'] == '$1': print(' '.join(w['args']))"
}
for w in $WORKLOADS; do
    [ "${TRAIN:-1}" != 0 ] || continue
    # The suite's paths are relative to results/sched; the training runs from the top.
    a=$(args $w | sed 's|\.\./crossover/|results/crossover/|')
    # shellcheck disable=SC2086
    "$SIREN" sched train $a --episodes 200000 --seed 1 \
        --out $OUT/$w.policy.json > $OUT/$w.train.txt
    # shellcheck disable=SC2086
    "$SIREN" sched train $a --episodes 200000 --seed 1 --budget-spread 2 \
        --out $OUT/$w.spread2.policy.json > $OUT/$w.spread2.train.txt
done
# Two workloads at a time, each starting as soon as a core is free.
printf '%s\n' $WORKLOADS | xargs -P 2 -I {} sh -c \
    '"$0" sched eval --matrix "$1" --workload {} --emulate --out "$2" > "$2/{}.log" 2>&1' \
    "$SIREN" $R/contest.json $OUT
# The report from every workload's cells (each run writes it too, from the cells there when
# it ends).
"$SIREN" sched eval --matrix $R/contest.json --out $OUT --dry-run > /dev/null
# Learning curves: the mean JCT of the sampled episodes and their success rate per update,
# episodes counted over the restarts.
for f in $OUT/*.train.txt; do
    awk '/^start/ { split($2, s, "/"); if (s[1] != cur) { base = last; cur = s[1] }
                    last = base + $6; print last, $14, $12 }' "$f" > "${f%.train.txt}.curve.dat"
done
gnuplot <<GP
set terminal pngcairo size 1300,420 noenhanced font ',10'
set output '$OUT/learning.png'
set multiplot layout 1,3 title 'DRL training (PPO, 4 restarts): mean JCT of the sampled episodes (left axis, solid) and their success rate (right, dashed); drl at the default budget, drl-spread over [B/2, 2B]'
set grid
set xlabel 'episodes (thousands, over the 4 restarts)'
set ylabel 'JCT of sampled episodes (s)'
set y2label 'success rate'
set y2range [0:1.05]
set ytics nomirror
set y2tics
do for [w in "lr-criteo lenet-fashion textcnn-polarity"] {
    set title w
    f = '$OUT/'.w.'.curve.dat'
    g = '$OUT/'.w.'.spread2.curve.dat'
    plot f using (\$1/1000):2 with lines lw 2 lc rgb '#0072b2' title 'drl JCT', \\
         f using (\$1/1000):3 axes x1y2 with lines dt 2 lc rgb '#0072b2' title 'drl success', \\
         g using (\$1/1000):2 with lines lw 2 lc rgb '#d55e00' title 'drl-spread JCT', \\
         g using (\$1/1000):3 axes x1y2 with lines dt 2 lc rgb '#d55e00' title 'drl-spread success'
}
unset multiplot
GP
