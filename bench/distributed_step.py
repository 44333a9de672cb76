#!/usr/bin/python3
"""Distributed training step of the MLP 784-1024-1024-10 at batch 256, against baselines measured
in the same run.

Runs, one after the other on the machine it is started on (every run gets 2 math threads in all,
whatever the core count; the header line prints the cores found):
  reference   `neuropart run --reference --threads 2` (the single-process trainer, 2 threads)
  neuron P=2  percentage per layer 50/50, one math thread per worker process, over shared-memory
              rings beside Unix-domain sockets (`--links shm`, the local default), again over
              the sockets alone (`--links ipc`) and over TCP with CURVE (`--links tcp`, as
              between machines)
  neuron P=4  percentage per layer 25x4
  layers P=2  h1 | h2,out with 4 micro-batches
  layers P=3  h1 | h2 | out with 4 micro-batches
  torch pipe  bench/torch_pipeline_step.py: the layers P=2 job as a 2-process PyTorch pipeline
              with the same 4 micro-batches, isend/irecv overlapping transfers and compute
  torch TP    bench/torch_tensor_parallel_step.py: Megatron-style tensor parallelism for P=2 and 4,
              each hidden layer column-split as the neuron split is
  per-neuron  bench/per_neuron_exchange_bench: one request per remote neuron vs one block
and prints ms/step and each one's ratio to the reference, plus the measured traffic per step per
partition beside the plan's prediction. Each neuropart figure is 256 * 1000 divided by the
samples/s that `neuropart run` reports for a one-epoch job of --steps steps: for a distributed run
the coordinator's samples over the summed wall time of its steps, for the reference its samples
over the training loop's wall time. The first steps (connection set-up) are included, so use
enough --steps for them not to matter. See docs/benchmarks.md.

Usage: bench/distributed_step.py [--bin build/bench/bin] [--steps 40]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

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
      - {{name: h1, neurons: 1024, activation: relu}}
      - {{name: h2, neurons: 1024, activation: relu}}
      - {{name: out, neurons: 10, activation: softmax}}
  distribution:
{distribution}
  training:
    dataset: {{format: synthetic, samples: {samples}, testSamples: 256, seed: 3}}
    epochs: 1
    batchSize: 256
    microBatches: {micro}
    optimizer: {{learningRate: 0.01, momentum: 0.9}}
    shuffle: false
    checkpointEvery: 0
"""

CASES = [
    ("neuron P=2", "    partitions: 2\n    strategy: percentage\n    scope: perLayer\n    percentages: [50, 50]", 1),
    ("neuron P=4", "    partitions: 4\n    strategy: percentage\n    scope: perLayer\n    percentages: [25, 25, 25, 25]", 1),
    ("layers P=2", "    partitions: 2\n    strategy: layers\n    layers: [[h1], [h2, out]]", 4),
    ("layers P=3", "    partitions: 3\n    strategy: layers\n    layers: [[h1], [h2], [out]]", 4),
]


def write_job(workdir, name, distribution, micro, steps):
    path = os.path.join(workdir, name + ".yaml")
    with open(path, "w") as f:
        f.write(JOB.format(name=name, distribution=distribution, micro=micro, samples=256 * steps))
    return path


def neuropart(binary, *args):
    r = subprocess.run([os.path.join(binary, "neuropart"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"neuropart {' '.join(args)} failed:\n{r.stderr}")
    return dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)


def gemm_kernels(binary):
    """The OpenBLAS kernels the binaries use (`neuropart --version`): they move every figure."""
    r = subprocess.run([os.path.join(binary, "neuropart"), "--version"], capture_output=True,
                       text=True)
    found = re.search(r"GEMM: OpenBLAS, (\S+) kernels", r.stdout)
    return f"OpenBLAS {found.group(1)} kernels" if found else "OpenBLAS kernels unknown"


def bench_args(doc, steps=40, repeats=None):
    """The flags of every bench script: --bin, --steps and, given a default, --repeats."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bench", "bin"))
    parser.add_argument("--steps", type=int, default=steps)
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=repeats)
    return parser.parse_args()


def ms_per_step(result):
    return 256 * 1000 / float(result["samples_per_second"])


def main():
    args = bench_args(__doc__)
    workdir = tempfile.mkdtemp(prefix="np-bench-")
    store = os.path.join(workdir, "store")
    rows = []
    ref_job = write_job(workdir, "reference", "    partitions: 1\n    strategy: balanced", 1, args.steps)
    ref = ms_per_step(neuropart(args.bin, "run", ref_job, "--reference", "--threads", "2", "--store", store))
    rows.append(("reference (2 threads)", ref, ""))
    traffic = []
    notes = {"shm": "shared-memory rings", "ipc": "Unix-domain sockets only",
             "tcp": "TCP links with CURVE"}
    for links in ("shm", "ipc", "tcp"):
        for i, (label, distribution, micro) in enumerate(CASES):
            job = write_job(workdir, f"case{i}-{links}", distribution, micro, args.steps)
            result = neuropart(args.bin, "run", job, "--threads", "2", "--store", store,
                               "--links", links)
            if links == "shm":
                rows.append((label, ms_per_step(result), f"micro-batches {micro}, {notes[links]}"))
                traffic += [(label, k, v) for k, v in result.items() if k.startswith("traffic_p")]
            else:
                rows.append((f"{label} {links}", ms_per_step(result), notes[links]))
    peers = [("torch gloo pipeline P=2", "torch_pipeline_step.py", [], "layers h1 | h2,out, 4 micro"),
             ("torch tensor parallel P=2", "torch_tensor_parallel_step.py", ["--ranks", "2"],
              "columns split, all-gather"),
             ("torch tensor parallel P=4", "torch_tensor_parallel_step.py", ["--ranks", "4"],
              "columns split, all-gather")]
    for label, script, extra, note in peers:
        torch = subprocess.run([sys.executable, os.path.join(HERE, script), "--steps",
                                str(args.steps), *extra], capture_output=True, text=True)
        m = re.search(r"([\d.]+) ms/step", torch.stdout)
        if m:
            rows.append((label, float(m.group(1)), note))
        else:
            print(f"{script} did not run:\n" + torch.stderr[-2000:])

    print(f"MLP 784-1024-1024-10, batch 256, {args.steps} steps, {os.cpu_count()} cores, "
          f"{gemm_kernels(args.bin)}")
    print(f"{'run':28} {'ms/step':>9} {'x reference':>12}")
    for label, ms, note in rows:
        print(f"{label:28} {ms:9.2f} {ms / ref:11.2f}x  {note}")
    ours = {label: ms for label, ms, _ in rows}
    for peer, mine in (("torch gloo pipeline P=2", "layers P=2"),
                       ("torch tensor parallel P=2", "neuron P=2"),
                       ("torch tensor parallel P=4", "neuron P=4")):
        if peer in ours:
            print(f"{peer} / neuropart {mine}: {ours[peer] / ours[mine]:.2f}x")
    print("\ntraffic per step (measured, with wire headers; plan: payload only)")
    for label, key, value in traffic:
        print(f"  {label:12} {key[8:]:3} {value}")
    naive = os.path.join(args.bin, "..", "bench", "per_neuron_exchange_bench")
    if os.path.exists(naive):
        print("\n" + subprocess.run([naive], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
