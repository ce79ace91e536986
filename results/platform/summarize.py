#!/usr/bin/env python3
"""Summaries of the platform suites, from their run directories.

    results/platform/summarize.py channels DIR   # DIR: the output of `siren bench channels`
    results/platform/summarize.py sync DIR       # DIR: the output of `siren bench sync`

prints Markdown: per configuration, the epochs' virtual times and costs (from each run's
epochs.csv and summary.json), and for channels the preset's constants that explain them.
"""
import csv
import json
import os
import statistics
import sys


def runs(out_dir):
    """(config, run directory, summary, epoch rows) of every row of the suite's table."""
    for row in json.load(open(os.path.join(out_dir, "table.json"))):
        d = os.path.join(out_dir, row["run_dir"])
        summary = json.load(open(os.path.join(d, "summary.json")))
        epochs = list(csv.DictReader(open(os.path.join(d, "epochs.csv"))))
        yield row["config"], d, summary, epochs


def channels(out_dir, preset_path):
    p = json.load(open(preset_path))
    v = lambda node: node["value"]
    consts = {"s3": (v(p["object_store"]["get_ms"]), v(p["object_store"]["put_ms"]),
                     v(p["object_store"]["mb_per_s_per_connection"]), "-", "request fees")}
    for name, c in p["channels"].items():
        node = v(c["node_gbit_s"]) * 125 if "node_gbit_s" in c else "-"
        if name == "vm-ps":
            inst = next(i for i in p["vm"]["instances"] if i["name"] == v(c["instance"]))
            node = inst["network_gbit_s"] * 125
            price = f"{v(c['instance'])} ${inst['usd_per_hour']}/h"
        elif name == "dynamodb":
            price = (f"${v(c['usd_per_million_reads'])}/M reads of 4 KB, "
                     f"${v(c['usd_per_million_writes'])}/M writes of 1 KB")
        else:
            price = f"{v(c['node'])} ${v(c['usd_per_hour'])}/h"
        consts[name] = (v(c["get_ms"]), v(c["put_ms"]), v(c["mb_per_s"]), node, price)
    print("| channel | GET / PUT median (ms) | MB/s per connection | shared MB/s | price |")
    print("| --- | --- | --- | --- | --- |")
    for name, (g, pt, bw, node, price) in consts.items():
        shared = f"{node:.0f}" if isinstance(node, float) else node
        print(f"| {name} | {g} / {pt} | {bw} | {shared} | {price} |")
    print()
    print("| config | epoch 1 (cold) s | epoch 2 (warm) s | update_s (sum over functions), epoch 2 | "
          "cost epoch 1 $ | cost epoch 2 $ | total s | total $ |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for config, _, s, ep in runs(out_dir):
        e1, e2 = ep[0], ep[1]
        print(f"| {config} | {float(e1['time_s']):.3f} | {float(e2['time_s']):.3f} | "
              f"{float(e2['update_s']):.3f} | {float(e1['cost_usd']):.6f} | "
              f"{float(e2['cost_usd']):.6f} | {s['total_time_s']:.3f} | {s['cost_usd']:.6f} |")


def time_to(epochs, loss):
    """Virtual time until the first epoch whose test loss is at most loss, and that epoch
    (None: never)."""
    t = 0.0
    for e in epochs:
        t += float(e["time_s"])
        if float(e["test_loss"]) <= loss:
            return t, int(e["epoch"])
    return None


def sync(out_dir, losses=(0.6, 0.5)):
    by_rule = {}
    heads = " | ".join(f"time to {l} s (epoch)" for l in losses)
    print(f"| config | epochs | mean epoch s | {heads} | total s | cost $ | final loss |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in losses) + " | --- | --- | --- |")
    for config, _, s, ep in runs(out_dir):
        rule = config.split()[0]
        mean = statistics.mean(float(e["time_s"]) for e in ep)
        reach = [time_to(ep, l) for l in losses]
        by_rule.setdefault(rule, []).append((mean, reach, s["cost_usd"]))
        cells = " | ".join(f"{r[0]:.3f} ({r[1]})" if r else "not reached" for r in reach)
        print(f"| {config} | {len(ep)} | {mean:.3f} | {cells} | {s['total_time_s']:.3f} | "
              f"{s['cost_usd']:.6f} | {s['final_loss']:.4f} |")
    print()
    heads = " | ".join(f"time to {l} s: mean (seeds reaching it)" for l in losses)
    print(f"| rule | mean epoch s | {heads} | cost $ of the run (mean) |")
    print("| --- | --- | " + " | ".join("---" for _ in losses) + " | --- |")
    for rule, rs in by_rule.items():
        cells = []
        for k in range(len(losses)):
            got = [r[1][k][0] for r in rs if r[1][k]]
            cells.append(f"{statistics.mean(got):.3f} ({len(got)} of {len(rs)})" if got
                         else f"not reached (0 of {len(rs)})")
        print(f"| {rule} | {statistics.mean(r[0] for r in rs):.3f} | {' | '.join(cells)} | "
              f"{statistics.mean(r[2] for r in rs):.6f} |")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("channels", "sync"):
        sys.exit(__doc__)
    if sys.argv[1] == "channels":
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        channels(sys.argv[2], os.path.join(src, "emu", "platforms", "lambda-2019.json"))
    else:
        sync(sys.argv[2])
