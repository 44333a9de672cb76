#!/usr/bin/python3
"""What CURVE costs: the distributed training step with `spec.transport.encryption: curve` (the
default) against `none`, measured in the same run.

The MLP 784-1024-1024-10 at batch 256 of bench/distributed_step.py, split by neurons over P = 2
and 4 (one math thread per worker, 2 in all) and by layers over P = 2 (4 micro-batches). Each
case runs --repeats times with each setting, alternating, and the median ms/step of each is
printed with their ratio. Every run uses TCP links (`--links tcp`), the only ones CURVE applies
to. See docs/security.md.

Usage: bench/curve_cost.py [--bin build/bench/bin] [--steps 40] [--repeats 3]
"""

import os
import statistics
import tempfile

from distributed_step import CASES, bench_args, ms_per_step, neuropart, write_job


def main():
    args = bench_args(__doc__, steps=40, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-curve-")
    store = os.path.join(workdir, "store")
    print(f"MLP 784-1024-1024-10, batch 256, {args.steps} steps, median of {args.repeats}, "
          f"{os.cpu_count()} cores")
    print(f"{'split':12} {'none ms':>9} {'curve ms':>9} {'curve/none':>11}")
    for i, (label, distribution, micro) in enumerate(CASES[:3]):
        times = {"none": [], "curve": []}
        for r in range(args.repeats):
            for encryption in ("none", "curve"):
                name = f"case{i}-{encryption}-{r}"
                job = write_job(workdir, name, distribution, micro, args.steps)
                with open(job, "a") as f:
                    f.write(f"  transport: {{encryption: {encryption}}}\n")
                # CURVE is for TCP links; a local run's default links are Unix-domain sockets.
                result = neuropart(args.bin, "run", job, "--threads", "2", "--store", store,
                                   "--links", "tcp")
                times[encryption].append(ms_per_step(result))
        none, curve = statistics.median(times["none"]), statistics.median(times["curve"])
        print(f"{label:12} {none:9.2f} {curve:9.2f} {curve / none:10.3f}x")


if __name__ == "__main__":
    main()
