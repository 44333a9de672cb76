#!/usr/bin/python3
"""PyTorch peer of neuropart's layer split: the MLP 784-1024-1024-10 as a 2-process pipeline.

Rank 0 holds Linear(784, 1024)+ReLU, rank 1 holds Linear(1024, 1024)+ReLU+Linear(1024, 10) and the
cross-entropy loss. Each step splits the batch of 256 into --micro-batches pieces (default 4, as
neuropart's layer split in distributed_step.py): rank 0 runs the forward of every micro-batch and
sends each activation block as soon as it exists (isend, gloo over 127.0.0.1); rank 1 has posted
a receive for each, and runs forward and backward of each micro-batch as it arrives (1F1B on the
last stage), sending its activation gradient back at once; rank 0 runs each backward as its
gradient arrives. Transfers overlap compute on both sides. Gradients accumulate over the
micro-batches (each loss weighted by its share of the batch), then both ranks take an SGD step
(momentum 0.9). --micro-batches 1 is the blocking one-batch exchange. One torch thread
and one OpenBLAS thread per process, as `neuropart run --threads 2` gives each of its two workers.
Prints the mean ms/step over the timed steps.

Usage: bench/torch_pipeline_step.py [--steps N] [--warmup N] [--micro-batches M]
"""

import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp_step import openblas_handle, reexec_with_openblas  # noqa: E402

BATCH = 256


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_rank(rank, port, steps, warmup, micro, results):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    openblas = openblas_handle()
    if openblas is not None:
        openblas.openblas_set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    torch.manual_seed(1 + rank)
    if rank == 0:
        stage = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU())
        x = torch.rand(BATCH, 784)
    else:
        stage = torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10))
        y = torch.randint(0, 10, (BATCH,))
        loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(stage.parameters(), lr=0.01, momentum=0.9)
    bounds = [(BATCH * m // micro, BATCH * (m + 1) // micro) for m in range(micro)]
    inbox = [torch.empty(hi - lo, 1024) for lo, hi in bounds]  # activations or their gradients

    def step():
        optimizer.zero_grad()
        receives = [dist.irecv(inbox[m], src=1 - rank) for m in range(micro)]
        sends, outs = [], []
        if rank == 0:
            for lo, hi in bounds:
                outs.append(stage(x[lo:hi]))
                sends.append(dist.isend(outs[-1].detach(), dst=1))
            for m in range(micro):
                receives[m].wait()
                outs[m].backward(inbox[m])
        else:
            for m, (lo, hi) in enumerate(bounds):
                receives[m].wait()
                inp = inbox[m].clone().requires_grad_(True)
                loss = loss_fn(stage(inp), y[lo:hi]) * ((hi - lo) / BATCH)
                loss.backward()
                outs.append(inp.grad)  # kept alive until its send completes
                sends.append(dist.isend(inp.grad, dst=0))
        for s in sends:
            s.wait()
        optimizer.step()

    for _ in range(warmup):
        step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    if rank == 0:
        results.put((time.perf_counter() - start) * 1000 / steps)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--micro-batches", type=int, default=4)
    args = parser.parse_args()
    reexec_with_openblas()
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=run_rank, args=(r, port, args.steps, args.warmup, args.micro_batches, results)) for r in (0, 1)]
    for p in procs:
        p.start()
    ms = results.get(timeout=600)
    for p in procs:
        p.join()
    print(f"torch_pipeline_step ranks=2 threads_per_rank=1 micro_batches={args.micro_batches}: "
          f"{ms:.2f} ms/step")


if __name__ == "__main__":
    main()
