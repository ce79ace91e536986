#!/usr/bin/env bash
# The simulator against the emulator under variable latency: for each workload, one
# schedule (n functions of 1,792 MB, two epochs) in the emulator with seeds 1..5 and in the
# simulator with the same seeds. The scheduler trains in the simulator, so its epoch times
# are what its decisions rest on. Writes results/platform/latency.md (and latency.csv).
# Run from the top of a checkout with build/siren built and the data fetched.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
siren="$src/build/siren"
out="$src/results/platform"
work=$(mktemp -d /tmp/siren-latency.XXXXXX)
trap 'rm -rf "$work"' EXIT
mpirun=${SIREN_MPIRUN:-mpirun --oversubscribe}
cal="$src/results/calibration/reference.json"
n=16
csv="$out/latency.csv"
echo "workload,seed,epoch,emulator_time_s,simulator_time_s" >"$csv.tmp"
for w in lr-ctr lenet-fashion textcnn-polarity; do
  for seed in 1 2 3 4 5; do
    d="$work/$w-$seed"
    $mpirun -n 2 "$siren" run --workload "$w" --seed "$seed" --max-epochs 2 --target-loss 1e-9 \
      --calibration "$cal" --scheduler "static:n=$n,m=1792" --out "$d" --quiet >"$d.log" 2>&1
    "$siren" sim --workload "$w" --seed "$seed" --max-epochs 2 --target-loss 1e-9 \
      --calibration "$cal" --scheduler "static:n=$n,m=1792" >"$d.sim" 2>&1
    for ep in 1 2; do
      emu=$(awk -F, -v e="$ep" 'NR > 1 && $1 == e {print $5}' "$d/epochs.csv")
      sim=$(sed -n "s/^epoch $ep: .* time \([0-9.]*\) s.*/\1/p" "$d.sim")
      echo "$w,$seed,$ep,$emu,$sim" >>"$csv.tmp"
    done
  done
done
mv "$csv.tmp" "$csv"
python3 - "$csv" "$out/latency.md" "$n" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n = sys.argv[3]
lines = ["# The simulator against the emulator under variable latency", "",
         f"Written by `results/platform/latency-check.sh`: each workload at {n} functions of 1,792 MB for two "
         "epochs (the first cold, the second warm), seeds 1 to 5, in the emulator (`siren run`, 2 ranks) "
         "and in the simulator (`siren sim`, the same seed). Times are virtual seconds. `sim seed 1 / "
         "emulator mean` is the simulator's epoch time at one seed against the mean of the emulator's "
         "five; `largest per-seed difference` compares the two at the same seed.", "",
         "| workload | epoch | emulator mean (5 seeds) | emulator min..max | simulator, seed 1 | sim seed 1 / emulator mean | simulator mean (5 seeds) | largest per-seed difference |",
         "| --- | --- | --- | --- | --- | --- | --- | --- |"]
for w in dict.fromkeys(r["workload"] for r in rows):
    for ep in ("1", "2"):
        rs = [r for r in rows if r["workload"] == w and r["epoch"] == ep]
        emu = [float(r["emulator_time_s"]) for r in rs]
        sim = [float(r["simulator_time_s"]) for r in rs]
        m = statistics.mean(emu)
        s1 = sim[0]
        diff = max(abs(a - b) / a for a, b in zip(emu, sim))
        lines.append(f"| {w} | {ep} | {m:.3f} | {min(emu):.3f}..{max(emu):.3f} | {s1:.3f} | {s1 / m:.4f} | "
                     f"{statistics.mean(sim):.3f} | {100 * diff:.3f}% |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
