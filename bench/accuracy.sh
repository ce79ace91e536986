#!/usr/bin/env bash
# The reference trainer's accuracy on every workload at its default settings: one JSON line per
# workload (the last stdout line of `siren train --json`) into results/accuracy/WORKLOAD.json,
# and a markdown table of them. Takes a few minutes on one core.
#   bench/accuracy.sh [OUT_DIR]     (default results/accuracy; run from the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/accuracy}
mkdir -p "$out"
{
  echo "<!-- bench/accuracy.sh -->"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
  echo "- commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- configuration: \`siren train --workload W --json\` with each workload's defaults, 1 thread"
  echo
  echo "| workload | epochs | test_accuracy | test_loss | test_auc | samples_per_second |"
  echo "| --- | --- | --- | --- | --- | --- |"
} > "$out/table.md.tmp"
for w in lenet-mnist lenet-fashion textcnn-polarity lr-a9a lr-ctr; do
  build/siren train --workload "$w" --json --quiet | tail -n 1 > "$out/$w.json.tmp"
  mv "$out/$w.json.tmp" "$out/$w.json"
  /usr/bin/python3 - "$out/$w.json" >> "$out/table.md.tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
auc = "%.4f" % d["test_auc"] if "test_auc" in d else ""
print("| %s | %d | %.4f | %.4f | %s | %.0f |" % (d["workload"], d["epochs"], d["test_accuracy"],
      d["test_loss"], auc, d["samples_per_second"]))
PY
  cat "$out/$w.json"
done
mv "$out/table.md.tmp" "$out/table.md"
cat "$out/table.md"
