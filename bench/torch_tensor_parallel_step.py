#!/usr/bin/python3
"""PyTorch peer of neuropart's neuron split: the MLP 784-1024-1024-10 with Megatron-style tensor
parallelism over P processes.

Every hidden layer is column-split, so rank r owns neurons [r*1024/P, (r+1)*1024/P) of h1 and h2,
exactly the neurons neuropart's per-layer percentage split gives partition r. Forward: each rank
computes its columns of a hidden layer and all-gathers the layer's activation [256, 1024]; the
output layer and the loss are replicated (every rank computes them whole). Backward: the
replicated output layer gives every rank the whole dL/dh2; each rank takes its columns, computes
its weight gradients, and the split layer's partial input gradients dL/dh1 [256, 1024] are
all-reduced (summed). SGD with momentum 0.9, by hand. Forward and backward are written with matrix
products, not autograd, so that autograd's bookkeeping does not flatter neuropart. One torch
thread and one OpenBLAS thread per rank, gloo over 127.0.0.1. Prints the mean ms/step.

Usage: bench/torch_tensor_parallel_step.py [--ranks P] [--steps N] [--warmup N] [--verify]
  --verify runs one step and checks it against autograd on the whole model (exit 1 if it differs
  by 1e-5 or more).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp_step import openblas_handle, reexec_with_openblas  # noqa: E402
from torch_pipeline_step import free_port  # noqa: E402

BATCH, INPUTS, HIDDEN, CLASSES = 256, 784, 1024, 10
LR, MOMENTUM = 0.01, 0.9


def max_difference_from_autograd(before, after, x, y):
    """The largest difference between the split step's weights and one autograd SGD step of the
    whole model from the same weights (momentum starts at the first gradient: torch's SGD)."""
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(INPUTS, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for i, n in ((0, "1"), (2, "2"), (4, "3")):
            model[i].weight.copy_(before["w" + n].t())
            model[i].bias.copy_(before["b" + n])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    return max(max(float((model[i].weight.t() - after["w" + n]).abs().max()),
                   float((model[i].bias - after["b" + n]).abs().max()))
               for i, n in ((0, "1"), (2, "2"), (4, "3")))


def run_rank(rank, ranks, port, steps, warmup, results, verify=False):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    openblas = openblas_handle()
    if openblas is not None:
        openblas.openblas_set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=ranks)
    torch.manual_seed(1 + rank)
    w3 = torch.randn(HIDDEN, CLASSES) * HIDDEN ** -0.5
    dist.broadcast(w3, src=0)  # the replicated output layer starts equal everywhere
    own = HIDDEN // ranks
    params = {
        "w1": torch.randn(INPUTS, own) * INPUTS ** -0.5, "b1": torch.zeros(own),
        "w2": torch.randn(HIDDEN, own) * HIDDEN ** -0.5, "b2": torch.zeros(own),
        "w3": w3, "b3": torch.zeros(CLASSES),
    }
    velocity = {k: torch.zeros_like(v) for k, v in params.items()}
    torch.manual_seed(2)  # the same batch on every rank
    x = torch.rand(BATCH, INPUTS)
    y = torch.randint(0, CLASSES, (BATCH,))
    onehot = torch.nn.functional.one_hot(y, CLASSES).float()
    cols = slice(rank * own, (rank + 1) * own)
    gathered = [torch.empty(BATCH, own) for _ in range(ranks)]

    def all_gather(part):
        dist.all_gather(gathered, part.contiguous())
        return torch.cat(gathered, dim=1)

    def step():
        p = params
        z1 = torch.addmm(p["b1"], x, p["w1"])
        a1 = all_gather(z1.clamp_min(0))
        z2 = torch.addmm(p["b2"], a1, p["w2"])
        a2 = all_gather(z2.clamp_min(0))
        logits = torch.addmm(p["b3"], a2, p["w3"])
        dlogits = (torch.softmax(logits, dim=1) - onehot) / BATCH
        grads = {"w3": a2.t() @ dlogits, "b3": dlogits.sum(0)}
        dz2 = (dlogits @ p["w3"].t())[:, cols] * (z2 > 0)
        grads["w2"], grads["b2"] = a1.t() @ dz2, dz2.sum(0)
        da1 = dz2 @ p["w2"].t()  # this rank's partial dL/dh1 over all 1024 neurons
        dist.all_reduce(da1)
        dz1 = da1[:, cols] * (z1 > 0)
        grads["w1"], grads["b1"] = x.t() @ dz1, dz1.sum(0)
        for k, g in grads.items():
            velocity[k].mul_(MOMENTUM).add_(g)
            p[k].sub_(LR * velocity[k])

    def whole():
        """The model as one process would hold it: the split columns gathered."""
        full = {k: v.clone() for k, v in params.items()}
        for k in ("w1", "w2", "b1", "b2"):
            parts = [torch.empty_like(params[k]) for _ in range(ranks)]
            dist.all_gather(parts, params[k])
            full[k] = torch.cat(parts, dim=-1)
        return full

    if verify:
        before = whole()
        step()
        after = whole()
        if rank == 0:
            results.put(max_difference_from_autograd(before, after, x, y))
        dist.destroy_process_group()
        return
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
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--verify", action="store_true",
                        help="run one step and print its largest difference from autograd")
    args = parser.parse_args()
    if HIDDEN % args.ranks:
        sys.exit(f"--ranks must divide {HIDDEN}")
    reexec_with_openblas()
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=run_rank, args=(r, args.ranks, port, args.steps, args.warmup,
                                                results, args.verify))
             for r in range(args.ranks)]
    for p in procs:
        p.start()
    ms = results.get(timeout=600)
    for p in procs:
        p.join()
    if args.verify:
        print(f"torch_tensor_parallel_step ranks={args.ranks}: one step differs from autograd's "
              f"by at most {ms:.3g}")
        sys.exit(0 if ms < 1e-5 else 1)
    print(f"torch_tensor_parallel_step ranks={args.ranks} threads_per_rank=1: {ms:.2f} ms/step")


if __name__ == "__main__":
    main()
