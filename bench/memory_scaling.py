#!/usr/bin/python3
"""Each partition's peak memory beside its predicted state, for P = 1, 2, 4 and 8.

The model is the memory issue's: MLP 784-4096-4096-4096-10, 36.8 M parameters, 442 MB of training
state (fp32 weights, gradients and momentum), batch 64, split per layer evenly (strategy balanced).
Each run trains --steps steps with a checkpoint every 2 steps, evaluates and exports the model
(streamed from the shards), so the peaks cover every phase of a training run. The figures are what
the launcher reports per partition: the peak resident set of its worker processes (wait4's
ru_maxrss) beside the plan's predicted state (weights, gradients, optimizer state, the step's
buffers) and predicted total (plus dataset and the process allowance). The baseline, measured in
the same run, is the single-process reference trainer (`neuropart run --reference`) on the same
job: the whole model in one process. See docs/benchmarks.md.

Usage: bench/memory_scaling.py [--bin build/dev/bin] [--steps 4] [--partitions 1,2,4,8]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20

JOB = """\
apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: {name}
spec:
  model:
    inputSize: 784
    init: {{seed: 1}}
    layers:
      - {{name: h1, neurons: 4096, activation: relu}}
      - {{name: h2, neurons: 4096, activation: relu}}
      - {{name: h3, neurons: 4096, activation: relu}}
      - {{name: out, neurons: 10, activation: softmax}}
  distribution: {{partitions: {partitions}, strategy: balanced}}
  training:
    dataset: {{format: synthetic, samples: {samples}, testSamples: 64, seed: 3}}
    epochs: 1
    batchSize: 64
    optimizer: {{learningRate: 0.01, momentum: 0.9}}
    checkpointEvery: 2
"""


def run(binary, args):
    """Runs neuropart and returns its stdout."""
    r = subprocess.run([os.path.join(binary, "neuropart"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"neuropart {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return r.stdout


def peak_of_child(binary, args):
    """Runs neuropart and returns its own peak RSS in bytes (for the in-process reference)."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(os.path.join(binary, "neuropart"), ["neuropart", *args])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"neuropart {' '.join(args)} failed with status {status}")
    return usage.ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "dev", "bin"))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--partitions", default="1,2,4,8")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="np-bench-memory-")
    store = os.path.join(workdir, "store")

    def job(name, partitions):
        path = os.path.join(workdir, name + ".yaml")
        with open(path, "w") as f:
            f.write(JOB.format(name=name, partitions=partitions, samples=64 * args.steps))
        return path

    reference = peak_of_child(args.bin, ["run", job("reference", 1), "--reference",
                                         "--store", store])
    print(f"MLP 784-4096-4096-4096-10 (36.8 M parameters, training state 442 MB), batch 64, "
          f"{args.steps} steps")
    print(f"reference trainer (one process, the whole model): peak {reference / MIB:.1f} MiB\n")
    print(f"{'P':>2} {'part':>4} {'state MiB':>10} {'predicted':>10} {'peak MiB':>9} "
          f"{'peak/state':>10} {'peak/ref':>9} {'<= 1.25 state + 64 MiB':>23}")
    for partitions in (int(p) for p in args.partitions.split(",")):
        out = run(args.bin, ["run", job(f"p{partitions}", partitions), "--store", store])
        lines = re.findall(r"memory_p(\d+): peak (\d+) bytes resident \(plan: state (\d+), "
                           r"total (\d+)", out)
        for q, peak, state, total in ((int(a), int(b), int(c), int(d)) for a, b, c, d in lines):
            bound = 1.25 * state + 64 * MIB
            print(f"{partitions:2} {q:4} {state / MIB:10.1f} {total / MIB:10.1f} "
                  f"{peak / MIB:9.1f} {peak / state:10.2f} {peak / reference:9.2f} "
                  f"{'yes' if peak <= bound else 'NO':>23}")


if __name__ == "__main__":
    main()
