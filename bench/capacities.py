#!/usr/bin/python3
"""Measured capacities against an even split, with one worker slowed to half speed.

The MLP 784-1024-1024-10 at batch 256 of bench/distributed_step.py, 2 partitions of strategy
balanced, one math thread each. Partition 1's worker runs in a cgroup limited to half a CPU
(`neuropart run --cpu-limit 1=0.5`). Three runs, each the median of --repeats:
  unlimited   no CPU limit, even split (the machine at its best)
  even        the limit, every layer split 50/50
  measured    the limit, `--measure-capacities`: both workers timed at once first, each in its
              cgroup, and their speeds used as spec.distribution.capacities
Prints ms/step, the capacities measured, and even / measured (issue 13's goal: >= 1.4x).
Needs root (or a delegated cpu cgroup). Usage: bench/capacities.py [--bin build/bench/bin]
[--steps 60] [--repeats 3]
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile

from distributed_step import bench_args, ms_per_step, write_job


def run(binary, job, store, *flags):
    r = subprocess.run([os.path.join(binary, "neuropart"), "run", job, "--threads", "2",
                        "--store", store, *flags], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"neuropart run {' '.join(flags)} failed:\n{r.stderr}")
    result = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    m = re.search(r"Measured capacities:.*", r.stderr)
    return ms_per_step(result), m.group(0) if m else ""


def main():
    args = bench_args(__doc__, steps=60, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-capacities-")
    job = write_job(workdir, "capacities", "    partitions: 2\n    strategy: balanced", 1,
                    args.steps)
    rows = {}
    measured_line = ""
    for label, flags in (("unlimited", []), ("even", ["--cpu-limit", "1=0.5"]),
                         ("measured", ["--cpu-limit", "1=0.5", "--measure-capacities"])):
        times = []
        for k in range(args.repeats):
            ms, line = run(args.bin, job, os.path.join(workdir, f"{label}{k}"), *flags)
            times.append(ms)
            measured_line = line or measured_line
        rows[label] = statistics.median(times)
    print(f"MLP 784-1024-1024-10, batch 256, 2 partitions, partition 1 limited to 0.5 CPU, "
          f"{args.steps} steps, medians of {args.repeats}")
    for label, ms in rows.items():
        print(f"{label:10} {ms:8.2f} ms/step")
    print(measured_line)
    print(f"even / measured: {rows['even'] / rows['measured']:.2f}x (goal: >= 1.4x)")


if __name__ == "__main__":
    main()
