#!/usr/bin/env bash
# One epoch of the EC2 parameter-server baseline at Criteo Kaggle's size: `siren ps` on
# lr-synthetic with 45,840,617 rows (the Kaggle training set's row count) that the workers
# generate as they train (--data generate), virtual clock, instances booted and loaded from S3
# (default provisioning), one server per instance (S = K). Each rank runs under /usr/bin/time,
# so the table has every rank's peak resident memory, and the whole mpirun is timed.
# Every configuration appends its row to results/ps/criteo-size.csv (a rerun of one replaces
# its row); results/ps/criteo-size.md is written from the CSV.
# Run from the top of a checkout with build/siren built. CONFIGS (default "m4.large:2
# m4.2xlarge:4 c5.2xlarge:8") picks the instance types and counts; ROWS (default 45840617)
# the rows, for a host too slow to run an epoch at full size.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
siren="$src/build/siren"
out="$src/results/ps"
csv="$out/criteo-size.csv"
rows=${ROWS:-45840617}
configs=${CONFIGS:-m4.large:2 m4.2xlarge:4 c5.2xlarge:8}
work=$(mktemp -d /tmp/siren-ps-criteo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mpirun=${SIREN_MPIRUN:-mpirun --oversubscribe}
export OPENBLAS_NUM_THREADS=1
header="instance_type,instances,ranks,rows,commit,date,boot_s,data_s,data_bytes,train_s,total_time_s,cost_usd,test_loss,wall_s,rss_mb_per_rank,command"
[ -f "$csv" ] || echo "$header" >"$csv"
for spec in $configs; do
  type=${spec%%:*}
  k=${spec##*:}
  ranks=$((1 + 2 * k))
  d="$work/$type-$k"
  mkdir -p "$d.rss"
  args="ps --workload lr-synthetic --data generate --rows $rows --max-epochs 1 --instance-type $type --instances $k"
  start=$(date +%s.%N)
  # Every rank writes its own peak RSS (KB) to $d.rss/RANK.
  $mpirun -n "$ranks" sh -c 'exec /usr/bin/time -f "%M" -o "$0/$OMPI_COMM_WORLD_RANK" "$@"' \
    "$d.rss" "$siren" $args --out "$d" >"$d.log" 2>&1 ||
    { status=$?; cat "$d.log" >&2; echo "$type x $k: mpirun exited with status $status" >&2; exit 1; }
  wall=$(python3 -c "print($(date +%s.%N) - $start)")
  rss=$(for r in $(seq 0 $((ranks - 1))); do printf '%s ' "$(awk '{printf "%.0f", $1 / 1024}' "$d.rss/$r")"; done)
  python3 - "$d" "$csv" "$type" "$k" "$ranks" "$rows" "$wall" "$rss" \
    "$(git -C "$src" rev-parse --short HEAD)" "mpirun -n $ranks --oversubscribe build/siren $args" <<'PY'
import csv, datetime, json, sys
d, path, typ, k, ranks, rows, wall, rss, commit, command = sys.argv[1:]
s = json.load(open(f"{d}/summary.json"))
row = {"instance_type": typ, "instances": k, "ranks": ranks, "rows": rows, "commit": commit,
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
       "boot_s": s["boot_s"], "data_s": s["data_s"], "data_bytes": s["data_bytes"],
       "train_s": s["train_s"], "total_time_s": s["total_time_s"], "cost_usd": s["cost_usd"],
       "test_loss": s["final_loss"], "wall_s": f"{float(wall):.1f}",
       "rss_mb_per_rank": " ".join(rss.split()), "command": command}
old = list(csv.DictReader(open(path)))
keep = [r for r in old if not (r["instance_type"] == typ and r["instances"] == k)]
with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(row))
    w.writeheader()
    w.writerows(keep + [row])
print(row)
PY
done
python3 - "$csv" "$out/criteo-size.md" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" <<'PY'
import csv, sys
path, md, cores, cpu = sys.argv[1:]
rows = list(csv.DictReader(open(path)))
def mb(xs):
    return f"{min(xs)}" if min(xs) == max(xs) else f"{min(xs)}-{max(xs)}"
out = ["# One epoch of the EC2 baseline at Criteo's size", "",
       "Written by `results/ps/criteo-size.sh` from `criteo-size.csv`, on a host with "
       f"{cores} cores ({cpu}) shared with other work. `siren ps`, lr-synthetic with rows generated "
       "by the workers as they train (`--data generate`), one epoch, dist_sync, one server per "
       "instance, virtual clock, default provisioning (the instances boot, then copy the training "
       "split from S3, billed as if its bytes were copied), lambda-2019 preset, the committed "
       "calibration (results/ps/calibration.json), seed 0, batch 64, 2^20 weights. "
       "45,840,617 rows is the row count of train.txt of the Criteo Kaggle Display Advertising "
       "Challenge data set (https://go.criteo.net/criteo-research-kaggle-display-advertising-"
       "challenge-dataset.tar.gz; `criteo-full` in datasets/ds_registry.c).", "",
       "Virtual times and cost are the job's (summary.json); wall time is the whole `mpirun` on "
       "this host; peak RSS is each rank's (/usr/bin/time): rank 0 the client, then the "
       "servers, then the workers.", "",
       "| instances | rows | boot s | data copy s | data GB | train s | total s | cost $ | test loss | wall s | peak RSS MB: client / servers / workers |",
       "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in rows:
    k = int(r["instances"])
    rss = [int(x) for x in r["rss_mb_per_rank"].split()]
    out.append(f"| {r['instance_type']} x {k} | {int(r['rows']):,} | {float(r['boot_s']):.1f} | "
               f"{float(r['data_s']):.1f} | {float(r['data_bytes']) / 1e9:.2f} | "
               f"{float(r['train_s']):.1f} | {float(r['total_time_s']):.1f} | "
               f"{float(r['cost_usd']):.4f} | {float(r['test_loss']):.4f} | {float(r['wall_s']):.0f} | "
               f"{rss[0]} / {mb(rss[1:1 + k])} / {mb(rss[1 + k:])} |")
out += ["", "Commands (from the top of the checkout, commit and date in criteo-size.csv):", ""]
out += [f"    {r['command']}" for r in rows]
out.append("")
open(md, "w").write("\n".join(out))
print("\n".join(out))
PY
