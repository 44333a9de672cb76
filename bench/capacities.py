#!/usr/bin/python3
"""Measured capacities against an even split, with one worker slowed to half speed.

The MLP 784-1024-1024-10 at batch 256 of bench/distributed_step.py, 2 partitions of strategy
balanced, one math thread each, three epochs, a checkpoint every 10 steps. Partition 1's worker runs in a cgroup
limited to half a CPU (`neuropart run --cpu-limit 1=0.5`). Four runs, each the median of
--repeats:
  unlimited   no CPU limit, even split (the machine at its best)
  even        the limit, every layer split 50/50
  probed      the limit, `--measure-capacities`: both workers timed at once by a probe before
              the run, each in its cgroup, and their speeds used as spec.distribution.capacities
  rebalanced  the limit, `--rebalance`: the even split first; the launcher times each worker's
              own steps (compute time, and CPU time against its quota) and, at a checkpoint, re-plans
              with the measured capacities and resumes
Prints ms/step (of the run's last gang: after a rebalance, the steps of the new plan), the whole
run's wall time, the capacities each chose, and even / probed and even / rebalanced (issue 13's
goal: >= 1.4x). Needs root (or a delegated cpu cgroup). Usage: bench/capacities.py
[--bin build/bench/bin] [--steps 600] [--repeats 3]
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from distributed_step import bench_args, ms_per_step, write_job


def run(binary, job, store, *flags):
    start = time.monotonic()
    r = subprocess.run([os.path.join(binary, "neuropart"), "run", job, "--threads", "2",
                        "--store", store, *flags], capture_output=True, text=True)
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"neuropart run {' '.join(flags)} failed:\n{r.stderr}")
    result = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    chosen = re.findall(r"Measured capacities:.*|Rebalanced: .*", r.stderr)
    return ms_per_step(result), wall, chosen


def main():
    args = bench_args(__doc__, steps=600, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-capacities-")
    # Three epochs of a third of the samples: a restart regenerates the synthetic dataset, which
    # would otherwise grow with the steps.
    job = write_job(workdir, "capacities", "    partitions: 2\n    strategy: balanced", 1,
                    args.steps // 3)
    with open(job) as f:
        text = (f.read().replace("checkpointEvery: 0", "checkpointEvery: 10")
                .replace("epochs: 1", "epochs: 3"))
    with open(job, "w") as f:
        f.write(text)
    limited = ["--cpu-limit", "1=0.5"]
    rows = {}
    for label, flags in (("unlimited", []), ("even", limited),
                         ("probed", limited + ["--measure-capacities"]),
                         ("rebalanced", limited + ["--rebalance"])):
        runs = [run(args.bin, job, os.path.join(workdir, f"{label}{k}"), *flags)
                for k in range(args.repeats)]
        rows[label] = (statistics.median(r[0] for r in runs),
                       statistics.median(r[1] for r in runs), runs[-1][2])
    print(f"MLP 784-1024-1024-10, batch 256, 2 partitions, partition 1 limited to 0.5 CPU, "
          f"{args.steps} steps, medians of {args.repeats}")
    for label, (ms, wall, chosen) in rows.items():
        print(f"{label:10} {ms:8.2f} ms/step {wall:7.2f} s wall")
        for line in chosen:
            print(f"{'':12}{line}")
    for label in ("probed", "rebalanced"):
        print(f"even / {label}: {rows['even'][0] / rows[label][0]:.2f}x per step, "
              f"{rows['even'][1] / rows[label][1]:.2f}x wall (goal: >= 1.4x)")


if __name__ == "__main__":
    main()
