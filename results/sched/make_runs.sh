#!/bin/sh
# Emulator runs whose traces the loss-progress models of `siren sim` are fitted to
# (`siren sim fit`, below). One rank each (the virtual clock makes results independent of
# -n). Static n sweeps, then the schedules in schedules/ (those of earlier `sched eval`
# rounds: the region the schedulers choose from), each replayed for as many epochs as it has
# lines. Outputs: fit-runs/<name>/{epochs.csv,summary.json} (trace.h5 is not kept in git),
# then models/<workload>.json. WORKLOADS="textcnn-polarity" limits the workloads (default: all
# three).
set -e
cd "$(dirname "$0")/../.."
SIREN=${SIREN:-build-sched/siren}
CAL=results/sched/calibration.json
OUT=results/sched/fit-runs
WORKLOADS=${WORKLOADS:-lr-ctr lenet-fashion textcnn-polarity}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { # name workload-options...
    name=$1; shift
    rm -rf "$OUT/$name" "/dev/shm/siren-sched-$name"
    mpirun -n 1 "$SIREN" run "$@" --calibration $CAL --target-loss 0.01 --quiet \
        --out "$OUT/$name" --kv "file:/dev/shm/siren-sched-$name" >/dev/null
    rm -rf "/dev/shm/siren-sched-$name"
}
replay() { # workload workload-options...: every schedules/<workload>-*.txt
    w=$1; shift
    for f in results/sched/schedules/$w-*.txt; do
        name=$(basename "$f" .txt)
        run "$name" "$@" --scheduler "schedule:$f" --max-epochs "$(grep -cv '^#' "$f")"
    done
}
for w in $WORKLOADS; do
    case $w in
    lr-ctr)
        LR="--workload lr-ctr --batch 16 --hash-bits 16"
        for n in 1 4 16 64 256; do run lr-ctr-n$n $LR --scheduler static:n=$n,m=1024 --max-epochs 12; done
        replay lr-ctr $LR ;;
    lenet-fashion)
        LE="--workload lenet-fashion --batch 256 --eval-rows 2000"
        for n in 1 2 4 8 16 64 200; do run lenet-fashion-n$n $LE --scheduler static:n=$n,m=1792 --max-epochs 6; done
        replay lenet-fashion $LE ;;
    textcnn-polarity)
        TC="--workload textcnn-polarity"
        for n in 1 2 8 32 128; do run textcnn-polarity-n$n $TC --scheduler static:n=$n,m=1792 --max-epochs 6; done
        replay textcnn-polarity $TC ;;
    *) echo "make_runs.sh: unknown workload $w" >&2; exit 2 ;;
    esac
    "$SIREN" sim fit --out results/sched/models/$w.json $OUT/$w-*
done
