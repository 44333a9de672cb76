#!/usr/bin/python3
"""Before and after: the distributed step of two builds of neuropart, run alternately.

Runs the reference and every case of bench/distributed_step.py (MLP 784-1024-1024-10, batch 256,
2 math threads in all) with the binaries in --before and in --after, alternating one run of each
--repeats times, and prints each side's median ms/step and after/before. Alternating spreads the
machine's drift over both sides, which one run of each cannot: on a shared VM, runs of the same
binary minutes apart differ by up to 10%.

Usage: bench/compare_builds.py --before DIR --after DIR [--steps 40] [--repeats 5] [--links ipc]
(DIR holds neuropart and neuropart-worker, e.g. a copy of build/bench/bin made before a change.)
"""

import argparse
import os
import statistics
import tempfile

from distributed_step import CASES, ROOT, ms_per_step, neuropart, write_job


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=os.path.join(ROOT, "build", "bench", "bin"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--links", default="auto", help="auto | shm | ipc | tcp (both sides)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="np-compare-")
    store = os.path.join(workdir, "store")
    cases = [("reference", "    partitions: 1\n    strategy: balanced", 1)] + CASES
    print(f"MLP 784-1024-1024-10, batch 256, {args.steps} steps, median of {args.repeats}, "
          f"{os.cpu_count()} cores\nbefore: {args.before}\nafter:  {args.after}")
    print(f"{'run':12} {'before ms':>10} {'after ms':>10} {'after/before':>13}")
    for i, (label, distribution, micro) in enumerate(cases):
        times = {"before": [], "after": []}
        for r in range(args.repeats):
            for side in ("before", "after"):
                job = write_job(workdir, f"case{i}-{side}-{r}", distribution, micro, args.steps)
                run = ["run", job, "--threads", "2", "--store", store]
                if label == "reference":
                    run.append("--reference")
                elif args.links != "auto":
                    run += ["--links", args.links]
                times[side].append(ms_per_step(neuropart(getattr(args, side), *run)))
        before, after = statistics.median(times["before"]), statistics.median(times["after"])
        print(f"{label:12} {before:10.2f} {after:10.2f} {after / before:12.3f}x")


if __name__ == "__main__":
    main()
