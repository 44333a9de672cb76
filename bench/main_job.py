#!/usr/bin/python3
"""The main job (examples/mnist-percentage.yaml: Fashion-MNIST, 784-256-128-10, batch 64, three
partitions) over each kind of local link, against the single-process reference in the same run.

Rows: the reference (`neuropart run --reference --threads 2`), then `neuropart run --threads 2`
with `--links shm` (the default: shared-memory rings beside Unix-domain sockets), `ipc` (the
sockets alone) and `tcp` (TCP with CURVE). Each is the median samples/s of --repeats runs of
--steps steps, with its ratio to the reference. See docs/benchmarks.md.

Usage: bench/main_job.py [--bin build/bench/bin] [--steps 1500] [--repeats 3]
"""

import os
import statistics
import tempfile

from distributed_step import ROOT, bench_args, neuropart

JOB = os.path.join(ROOT, "examples", "mnist-percentage.yaml")


def main():
    args = bench_args(__doc__, steps=1500, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-main-job-")
    runs = [("reference (2 threads)", ["--reference"])] + [
        (f"3 partitions, --links {links}", ["--links", links]) for links in ("shm", "ipc", "tcp")]
    rows = []
    for i, (label, flags) in enumerate(runs):
        rates = [float(neuropart(args.bin, "run", JOB, "--threads", "2", "--max-steps",
                                 str(args.steps), "--store", os.path.join(workdir, f"s{i}-{k}"),
                                 *flags)["samples_per_second"])
                 for k in range(args.repeats)]
        rows.append((label, statistics.median(rates)))
    reference = rows[0][1]
    print(f"main job, {args.steps} steps of batch 64, 2 math threads, {os.cpu_count()} cores, "
          f"medians of {args.repeats}")
    print(f"{'run':28} {'samples/s':>10} {'x reference':>12}")
    for label, rate in rows:
        print(f"{label:28} {rate:10.0f} {rate / reference:11.2f}x")


if __name__ == "__main__":
    main()
