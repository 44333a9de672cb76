#!/usr/bin/python3
"""The cost model's predicted step time against the measured one, for every case of
bench/distributed_step.py, strategy auto and the main job.

For each case: `neuropart plan --format json --threads 2` (this machine measured, as a local run
would use it) gives the prediction, `neuropart run --threads 2` the measurement (ms/step from the
samples/s it reports, as distributed_step.py computes it); each is the median of --repeats runs,
because one run differs from the next by up to 20% on this project's VM. Prints both, their ratio, and for
strategy auto the split it chose with every candidate's prediction. The goal (issue 13): every
prediction within 20% of the measurement.

Usage: bench/cost_model.py [--bin build/bench/bin] [--steps 40] [--repeats 3]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

from distributed_step import CASES, ROOT, bench_args, ms_per_step, neuropart, write_job

AUTO_CASES = [
    ("auto P=2", "    partitions: 2\n    strategy: auto", 1),
    ("auto P=2, 4 micro", "    partitions: 2\n    strategy: auto", 4),
    ("auto P=4", "    partitions: 4\n    strategy: auto", 1),
]


def predict(binary, job, *extra):
    r = subprocess.run([os.path.join(binary, "neuropart"), "plan", job, "--format", "json",
                        "--threads", "2", *extra], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"neuropart plan {job} failed:\n{r.stderr}")
    return json.loads(r.stdout)["prediction"]


def main():
    args = bench_args(__doc__, steps=40, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-cost-")
    store = os.path.join(workdir, "store")
    rows, autos, costs = [], [], None
    cases = [("one partition", "    partitions: 1\n    strategy: balanced", 1)] + CASES + AUTO_CASES
    for i, (label, distribution, micro) in enumerate(cases):
        job = write_job(workdir, f"case{i}", distribution, micro, args.steps)
        predictions = [predict(args.bin, job) for _ in range(args.repeats)]
        predicted = sorted(predictions, key=lambda p: p["stepSeconds"])[len(predictions) // 2]
        measured = statistics.median(
            ms_per_step(neuropart(args.bin, "run", job, "--threads", "2", "--store", f"{store}{k}"))
            for k in range(args.repeats))
        rows.append((label, predicted["stepSeconds"] * 1e3, measured))
        costs = costs or predicted
        if "autoCandidates" in predicted:
            autos.append((label, predicted["autoCandidates"]))
    main_job = os.path.join(ROOT, "examples", "mnist-percentage.yaml")
    predicted = statistics.median(predict(args.bin, main_job)["stepSeconds"]
                                  for _ in range(args.repeats))
    measured = statistics.median(
        64 * 1000 / float(neuropart(args.bin, "run", main_job, "--threads", "2", "--store",
                                    f"{store}{k}", "--max-steps",
                                    str(20 * args.steps))["samples_per_second"])
        for k in range(args.repeats))
    rows.append(("main job (batch 64, P=3)", predicted * 1e3, measured))

    print(f"MLP 784-1024-1024-10, batch 256, {args.steps} steps, 2 math threads, "
          f"{os.cpu_count()} cores, medians of {args.repeats}; measured costs (one partition): "
          f"GEMM {costs['gemmFlopsPerSecond'] / 1e9:.1f} GFLOP/s, messages "
          f"{costs['messageSeconds'] * 1e6:.0f} us + {costs['messageCpuSeconds'] * 1e6:.0f} us "
          f"CPU, links {costs['linkBytesPerSecond'] / 1e9:.2f} GB/s")
    print(f"{'case':28} {'predicted':>10} {'measured':>10} {'ratio':>7}")
    worst = 0.0
    for label, p, m in rows:
        worst = max(worst, abs(p / m - 1))
        print(f"{label:28} {p:8.2f}ms {m:8.2f}ms {p / m:6.2f}x")
    print(f"largest error: {worst * 100:.0f}% (goal: within 20%)")
    for label, candidates in autos:
        print(f"\n{label}: chose {candidates[0]['split']}")
        for c in candidates:
            print(f"  {c['split']:48} {c['stepSeconds'] * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
