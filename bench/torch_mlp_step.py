#!/usr/bin/python3
"""PyTorch peer of reference_step_bench.cc: one SGD step of the MLP 784-1024-1024-10.

Times forward + backward + torch.optim.SGD(momentum=0.9) at batch 256 (relu, relu, softmax via
CrossEntropyLoss) with 1 and 2 threads (torch intra-op and OpenBLAS pools set separately, see
CONFIGS), and prints ms/step: the fastest repetition, wall clock, and the process's CPU time.

Debian's python3-torch links libblas.so.3, which may resolve to the reference BLAS. The script
re-executes itself with OpenBLAS's directory first in LD_LIBRARY_PATH so that libblas.so.3 is
OpenBLAS, and prints which BLAS library is actually mapped. Runs under /usr/bin/python3, the
interpreter that has Debian's torch.

Usage: bench/torch_mlp_step.py [--seconds S] [--repetitions R]
"""

import argparse
import ctypes
import os
import sys
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
REEXEC_FLAG = "NEUROPART_TORCH_BENCH_REEXEC"


def reexec_with_openblas():
    if os.environ.get(REEXEC_FLAG):
        return
    if not os.path.exists(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
        print(f"{OPENBLAS_DIR}/libblas.so.3 not found: keeping the default libblas.so.3")
        return
    env = dict(os.environ)
    env[REEXEC_FLAG] = "1"
    env["LD_LIBRARY_PATH"] = ":".join(p for p in (OPENBLAS_DIR, env.get("LD_LIBRARY_PATH")) if p)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def mapped_blas_libraries():
    with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and "/" in line}
    return sorted(paths)


def openblas_handle():
    for path in mapped_blas_libraries():
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            return lib
    return None


def set_threads(torch, openblas, torch_threads, blas_threads):
    torch.set_num_threads(torch_threads)
    if openblas is not None:
        openblas.openblas_set_num_threads(blas_threads)


# (torch intra-op threads, OpenBLAS threads). torch's OpenMP pool and OpenBLAS's pthread pool both
# spin while idle, so on a 2-core machine "2 and 2" oversubscribes; the mixed settings show
# torch's best.
CONFIGS = ((1, 1), (2, 2), (1, 2), (2, 1))


def time_steps(torch, seconds, repetitions):
    """Returns (wall ms/step, cpu ms/step) of each repetition."""
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(256, 784)
    y = torch.randint(0, 10, (256,))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):  # warm up: allocations, momentum buffers, BLAS threads
        step()
    results = []
    for _ in range(repetitions):
        steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - start < seconds:
            step()
            steps += 1
        results.append(((time.perf_counter() - start) * 1000 / steps,
                        (time.process_time() - cpu_start) * 1000 / steps))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window per repetition")
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    reexec_with_openblas()

    import torch  # after the re-exec, so that libblas.so.3 resolves through LD_LIBRARY_PATH

    torch.set_default_dtype(torch.float32)
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure BLAS is loaded and mapped
    print(f"torch {torch.__version__}; LD_LIBRARY_PATH={os.environ.get('LD_LIBRARY_PATH', '')}")
    print("BLAS libraries mapped: " + ", ".join(mapped_blas_libraries()))
    openblas = openblas_handle()
    if openblas is not None:
        openblas.openblas_get_config.restype = ctypes.c_char_p
        print("OpenBLAS config: " + openblas.openblas_get_config().decode())
    else:
        print("OpenBLAS not loaded: timing whatever BLAS torch uses")
    for torch_threads, blas_threads in CONFIGS:
        set_threads(torch, openblas, torch_threads, blas_threads)
        results = time_steps(torch, args.seconds, args.repetitions)
        wall, cpu = min(results)
        print(f"torch_mlp_step torch_threads={torch_threads} blas_threads={blas_threads}: "
              f"{wall:.2f} ms/step wall, {cpu:.2f} ms cpu "
              f"(fastest of {len(results)}; all wall: "
              f"{', '.join(f'{w:.2f}' for w, _ in results)})")


if __name__ == "__main__":
    main()
