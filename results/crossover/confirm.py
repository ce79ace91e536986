#!/usr/bin/python3
"""Replays crossover.csv's Lambda winners in the emulator where the rows fit here, and states
how far the simulator's epoch time and cost are from the emulator's.

Each row of crossover.csv names the fastest Lambda configuration within the EC2 budget
("average s3 n=8 m=3008"). For every row with at most MAX_ROWS training rows, this runs one
epoch of that configuration with `siren run` (lr-criteo with --data generate, the image and
text workloads with --rows N, their augmented splits), on the crossover's calibration, the
preset of the row and the same seed, and compares the epoch's time_s and cost_usd. Writes
confirm.md beside crossover.csv and prints it.

Usage: confirm.py [SIREN] [MAX_ROWS] [PRESET]   (defaults: build/siren, 316228, lambda-2019)
"""
import csv
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIREN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "siren")
# The executable as the command line gave it (relative to the checkout when inside it).
SIREN_SHOWN = os.path.relpath(SIREN, os.path.join(HERE, "..", "..")) \
    if os.path.abspath(SIREN).startswith(os.path.abspath(os.path.join(HERE, "..", ".."))) \
    else SIREN
MAX_ROWS = float(sys.argv[2]) if len(sys.argv) > 2 else 316228
PRESET = sys.argv[3] if len(sys.argv) > 3 else "lambda-2019"


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def main():
    rows = read_csv(os.path.join(HERE, "crossover.csv"))
    out = []
    for r in rows:
        n_rows = float(r["rows"])
        if r["lambda"] == "none within" or n_rows > MAX_ROWS or r["preset"] != PRESET:
            continue
        rule, channel, n, m = r["lambda"].split()
        run = os.path.join(HERE, "runs", "confirm-%s-%s-%d" % (r["family"], r["preset"], n_rows))
        args = [SIREN, "run", "--workload", r["workload"], "--rows", "%d" % n_rows,
                "--update", rule, "--channel", channel,
                "--scheduler", "static:%s,%s" % (n, m), "--max-epochs", "1",
                "--target-loss", "1e-9", "--platform", r["preset"],
                "--calibration", os.path.join(HERE, "calibration.json"),
                "--eval-rows", "1000", "--quiet", "--out", run]
        if r["workload"] == "lr-criteo":
            args += ["--data", "generate"]
        ranks = "2" if int(n.split("=")[1]) > 1 else "1"
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        print("confirm:", " ".join(args[1:]), file=sys.stderr)
        subprocess.run(["mpirun", "--oversubscribe", "-n", ranks] + args, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        epoch = read_csv(os.path.join(run, "epochs.csv"))[0]
        t_sim, c_sim = float(r["lambda_time_s"]), float(r["lambda_cost_usd"])
        t_emu, c_emu = float(epoch["time_s"]), float(epoch["cost_usd"])
        out.append((r["family"], r["preset"], r["rows"], r["lambda"], t_sim, t_emu,
                    100 * (t_sim / t_emu - 1), c_sim, c_emu, 100 * (c_sim / c_emu - 1),
                    float(epoch["test_loss"])))
    lines = ["# The simulator against the emulator on the crossover's Lambda winners", "",
             "Written by `results/crossover/confirm.py %s %.0f %s`: one epoch of each booted-side "
             "Lambda winner of `crossover.csv` with at most %g rows on %s, replayed by "
             "`siren run` (same preset, calibration and seed). Error = simulator / emulator - 1; "
             "the test log loss is the emulator's after the epoch." % (
                 SIREN_SHOWN, MAX_ROWS, PRESET, MAX_ROWS, PRESET), "",
             "| family | preset | rows | configuration | sim time s | emu time s | time error | "
             "sim cost $ | emu cost $ | cost error | test loss |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for o in out:
        lines.append("| %s | %s | %s | %s | %.3f | %.3f | %+.2f%% | %.6f | %.6f | %+.2f%% | %.4f |" % o)
    if out:
        worst_t = max(abs(o[6]) for o in out)
        worst_c = max(abs(o[9]) for o in out)
        lines += ["", "Largest error: time %.2f%%, cost %.2f%% over %d replays." % (
            worst_t, worst_c, len(out))]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(HERE, "confirm.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
