#!/usr/bin/python3
"""What fp16 and bf16 on the wire (`spec.transport.dtype`) cost and give, against fp32 (exact,
the default), measured in the same run.

1. Step time: the neuron splits P = 2 and 4 of bench/distributed_step.py (MLP 784-1024-1024-10,
   batch 256, 2 math threads in all), each dtype --repeats times, alternating; the median
   ms/step and the bytes each partition sent per step.
2. Accuracy: examples/mnist-percentage.yaml (the main job: Fashion-MNIST, 784-256-128-10 split
   50/25/25 over 3 partitions, 2 epochs) trained with each dtype; the test accuracy and loss.

Usage: bench/wire_dtype.py [--bin build/bench/bin] [--steps 40] [--repeats 3]
"""

import os
import re
import statistics
import tempfile

from distributed_step import CASES, ROOT, bench_args, ms_per_step, neuropart, write_job

DTYPES = ("fp32", "bf16", "fp16")


def with_dtype(job, dtype):
    """The job file with `spec.transport.dtype: dtype` (its training section is last)."""
    with open(job, "a") as f:
        f.write(f"  transport: {{dtype: {dtype}}}\n")
    return job


def main():
    args = bench_args(__doc__, steps=40, repeats=3)
    workdir = tempfile.mkdtemp(prefix="np-dtype-")
    store = os.path.join(workdir, "store")
    print(f"step time: MLP 784-1024-1024-10, batch 256, {args.steps} steps, median of "
          f"{args.repeats}, {os.cpu_count()} cores")
    print(f"{'split':12} {'dtype':6} {'ms/step':>8} {'x fp32':>7}  bytes/step of p0")
    for i, (label, distribution, micro) in enumerate(CASES[:2]):
        times = {d: [] for d in DTYPES}
        sent = {}
        for r in range(args.repeats):
            for dtype in DTYPES:
                job = with_dtype(write_job(workdir, f"case{i}-{dtype}-{r}", distribution, micro,
                                           args.steps), dtype)
                result = neuropart(args.bin, "run", job, "--threads", "2", "--store", store)
                times[dtype].append(ms_per_step(result))
                sent[dtype] = result.get("traffic_p0", "?").split(" bytes")[0]
        base = statistics.median(times["fp32"])
        for dtype in DTYPES:
            ms = statistics.median(times[dtype])
            print(f"{label:12} {dtype:6} {ms:8.2f} {ms / base:6.3f}x  {sent[dtype]}")

    print("\naccuracy: examples/mnist-percentage.yaml (Fashion-MNIST, 2 epochs, 3 partitions)")
    print(f"{'dtype':6} {'test accuracy':>14} {'test loss':>10}")
    with open(os.path.join(ROOT, "examples", "mnist-percentage.yaml")) as f:
        example = f.read()
    example = re.sub(r"  storage:\n(    .*\n)+", "", example)  # the store is --store here
    for dtype in DTYPES:
        job = os.path.join(workdir, f"fashion-{dtype}.yaml")
        with open(job, "w") as f:
            f.write(example.replace("name: fashion-percentage", f"name: fashion-{dtype}"))
        with_dtype(job, dtype)
        result = neuropart(args.bin, "run", job, "--store", store)
        accuracy, loss = float(result["test_accuracy"]), float(result["test_loss"])
        print(f"{dtype:6} {accuracy:14.4f} {loss:10.4f}")


if __name__ == "__main__":
    main()
