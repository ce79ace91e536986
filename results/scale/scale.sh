#!/usr/bin/env bash
# One epoch of thousands of functions in the emulator, on this machine: 3,000 functions (the
# lambda-2019 burst) and 10,000 (lambda-2024, whose environments come 1,000 every 10 s), each
# on as many mini-batches of generated logistic-regression data (lr-synthetic, 1,000 rows per
# mini-batch, 2^16 weights), under HSP's average rule with the account's concurrency limit
# raised to n (--concurrency). Each rank runs under /usr/bin/time, so the table has every
# rank's peak resident memory; wall.json gives the phases. Writes results/scale/scale.md.
# Run from the top of a checkout with build/siren built. RANKS (default 3: the client and two
# invokers) sets the ranks of each job.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
siren="$src/build/siren"
out="$src/results/scale"
ranks=${RANKS:-3}
work=$(mktemp -d /tmp/siren-scale.XXXXXX)
kv=$(mktemp -d /dev/shm/siren-scale-kv.XXXXXX)
trap 'rm -rf "$work" "$kv"' EXIT
mpirun=${SIREN_MPIRUN:-mpirun --oversubscribe}
export OPENBLAS_NUM_THREADS=1
rows_md=()
for spec in "lambda-2019 3000" "lambda-2024 10000"; do
  read -r platform n <<<"$spec"
  d="$work/$platform-$n"
  mkdir -p "$d.rss"
  start=$(date +%s.%N)
  # Every rank writes its own peak RSS (KB) to $d.rss/RANK.
  $mpirun -n "$ranks" sh -c 'exec /usr/bin/time -f "%M" -o "$0/$OMPI_COMM_WORLD_RANK" "$@"' \
    "$d.rss" "$siren" run --workload lr-synthetic --rows $((n * 1000)) --batch 1000 \
    --hash-bits 16 --platform "$platform" --concurrency "$n" --max-epochs 1 --target-loss 1e-9 \
    --scheduler "static:n=$n,m=1792" --kv "file:$kv/$platform" --out "$d" --quiet \
    >"$d.log" 2>&1 || { cat "$d.log" >&2; exit 1; }
  wall=$(python3 -c "print($(date +%s.%N) - $start)")
  rm -rf "${kv:?}/$platform"
  rss=$(for r in $(seq 0 $((ranks - 1))); do printf '%s ' "$(awk '{printf "%.0f", $1 / 1024}' "$d.rss/$r")"; done)
  row=$(python3 - "$d" "$platform" "$n" "$wall" "$rss" "$ranks" <<'PY'
import csv, json, sys
d, platform, n, wall, rss, ranks = sys.argv[1:]
ep = list(csv.DictReader(open(f"{d}/epochs.csv")))[0]
w = json.load(open(f"{d}/wall.json"))
epochs_s = w.get("epochs_s", w.get("epochs", 0.0))
inv = int(ep["invocations"])
per_rank = " / ".join(f"{int(x)} MB" for x in rss.split())
print(f"| {platform} | {n} | {int(n) * 1000:,} | {float(ep['time_s']):.3f} | {float(ep['cost_usd']):.6f} | "
      f"{float(wall):.1f} | {epochs_s:.1f} | {1e3 * epochs_s / inv:.2f} | {per_rank} |")
PY
)
  rows_md+=("$row")
  echo "$row"
done
# Across hosts: the 3,000-function job in three network namespaces on this machine (rank 0 in
# h0, the invokers in h1 and h2, MPI over veth links; tests/netns/test_netns_run.sh, which
# also checks that summary.json and epochs.csv equal the one-host run's), and how the
# functions split over the invoker ranks (trace.h5's rank of every invocation).
hosts="$work/hosts"
hosts_md="not run"
if SIREN_BIN="$siren" SIREN_NETNS_KEEP="$hosts" \
  SIREN_NETNS_JOB="--workload lr-synthetic --rows 3000000 --batch 1000 --hash-bits 16 --platform lambda-2019 --concurrency 3000 --max-epochs 1 --target-loss 1e-9 --scheduler static:n=3000,m=1792" \
  bash "$src/tests/netns/test_netns_run.sh" >"$work/hosts.log" 2>&1; then
  split=$(h5dump -d /invocations -y -w 0 "$hosts/trace.h5" | python3 -c '
import collections, re, sys
text = sys.stdin.read()
body = text[text.index("DATA {") + 6:]
ranks = collections.Counter()
for rec in re.findall(r"\{([^{}]*)\}", body):
    fields = [f.strip() for f in rec.split(",")]
    ranks[int(fields[3])] += 1
print(", ".join(f"rank {r}: {c} invocations" for r, c in sorted(ranks.items())))
')
  where=$(grep -m1 '^ranks:' "$work/hosts.log" | sed 's/\[[0-9,]*\]<stdout>://g; s/ *$//')
  hosts_md="passed: $where; $(grep -m1 '^received' "$work/hosts.log"); $split; summary.json and epochs.csv identical to the one-host run"
else
  hosts_md="did not pass (exit $?): $(tail -n 1 "$work/hosts.log")"
fi
echo "across hosts: $hosts_md"
{
  echo "# One epoch of thousands of functions"
  echo
  echo "Written by \`results/scale/scale.sh\` on $(date -u +%Y-%m-%d), commit" \
       "$(git -C "$src" rev-parse --short HEAD), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
       "$ranks ranks (rank 0 the client, the others invokers: function i runs on rank 1 + i mod $((ranks - 1)))."
  echo "lr-synthetic, 1,000 rows per mini-batch, one mini-batch per function, average rule," \
       "1,792 MB, variable latency, seed 0. Virtual time and cost are the plan's; wall time is" \
       "the whole \`mpirun\` (data generation and staging included); the epochs' wall time and" \
       "its share per invocation come from the run's wall.json; peak RSS is each rank's" \
       "(/usr/bin/time, its sandboxes included), rank 0 first."
  echo
  echo "| platform | functions | rows | virtual epoch s | cost \$ | wall s | epochs' wall s | wall ms per invocation | peak RSS per rank |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows_md[@]}"
  echo
  echo "The 3,000-function job across three hosts (network namespaces on this machine: rank 0 in" \
       "h0, the invokers in h1 and h2, MPI over veth links; tests/netns/test_netns_run.sh):" \
       "$hosts_md."
  echo
  echo "On a cluster the same job runs under Slurm: bench/slurm/siren-run.sbatch."
} >"$out/scale.md"
cat "$out/scale.md"
