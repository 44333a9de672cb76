"""Helpers for neuropart's multi-process integration tests (run by CTest, see CMakeLists.txt)."""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import textwrap
import time
import unittest
import urllib.request

import numpy as np

BIN = os.environ.get("NEUROPART_BIN", "")


def neuropart(*args, **kw):
    return [os.path.join(BIN, "neuropart"), *args]


def read_safetensors(path):
    """The tensors of a safetensors file as numpy arrays (the format is tiny; no library needed)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "I32": np.int32}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


SMALL_JOB = """\
apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: {name}
spec:
  model:
    inputSize: 20
    init: {{seed: 4}}
    layers:
      - {{name: h1, neurons: 48, activation: relu}}
      - {{name: h2, neurons: 32, activation: tanh, connectivity: {{type: sparse, fanIn: 8, seed: 2}}}}
      - {{name: out, neurons: 6, activation: softmax}}
  distribution:
{distribution}
  backoffLimit: {backoff}
  training:
    dataset: {{format: synthetic, samples: {samples}, testSamples: 200, seed: 8}}
    epochs: {epochs}
    batchSize: 32
    microBatches: 2
    optimizer: {{learningRate: 0.05, momentum: 0.9, weightDecay: 0.0001}}
    seed: 6
    checkpointEvery: {every}
"""

BALANCED3 = "    partitions: 3\n    strategy: balanced\n    capacities: [1, 2, 1]"


class Workdir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="np-it-")
        self.store = os.path.join(self.path, "store")

    def job_text(self, name, distribution=BALANCED3, samples=640, epochs=2, every=5, backoff=3,
                 mode="train"):
        text = SMALL_JOB.format(name=name, distribution=distribution, samples=samples,
                                epochs=epochs, every=every, backoff=backoff)
        if mode != "train":  # the default; left out so that line numbers stay put
            text = text.replace("spec:\n", f"spec:\n  mode: {mode}\n", 1)
        return text

    def job(self, name, distribution=BALANCED3, samples=640, epochs=2, every=5, backoff=3,
            encryption="curve", mode="train"):
        path = os.path.join(self.path, name + ".yaml")
        with open(path, "w") as f:
            f.write(self.job_text(name, distribution, samples, epochs, every, backoff, mode))
            if encryption != "curve":  # the default
                f.write(f"  transport: {{encryption: {encryption}}}\n")
        return path

    def export(self, name):
        return read_safetensors(os.path.join(self.store, "jobs", name, "export", "model.safetensors"))

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def parse_result(stdout):
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


def start_and_wait_for_step(args, step):
    """Starts `args` (a neuropart run) and returns (process, stderr so far) once a progress line
    reports at least `step` steps done. Fails if the run ends first."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in p.stderr:
        seen.append(line)
        words = line.split()
        if len(words) > 1 and words[0] == "step" and int(words[1].split("/")[0]) >= step:
            return p, "".join(seen)
    p.wait()
    raise AssertionError(f"the run ended before step {step}:\n" + "".join(seen))


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


class Started:
    """What `neuropart run` printed on start: the plan hash and each partition's endpoints."""

    def __init__(self, lines):
        text = "".join(lines)
        self.plan_hash = re.search(r"plan ([0-9a-f]{16})", text).group(1)
        self.zmq = dict((int(q), e) for q, e in re.findall(r"Partition (\d+): pid \d+, ((?:tcp|ipc)://\S+),", text))
        self.metrics = dict((int(q), u) for q, u in re.findall(r"Partition (\d+):.* metrics (\S+/metrics)", text))
        status = re.search(r"status (\S+/status)", text)
        self.status = status.group(1) if status else None


def start_serving(job, store):
    """Starts a serve-mode job; returns (process, Started, the coordinator's endpoint)."""
    p = subprocess.Popen(neuropart("run", job, "--store", store), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    seen = []
    for line in p.stderr:
        seen.append(line)
        if line.startswith("Serving "):
            return p, Started(seen), line.split(" at ")[1].split()[0]
    p.wait()
    raise AssertionError("the job never served:\n" + "".join(seen))


class ExportChecks:
    """For a TestCase with a Workdir in self.w."""

    def assert_export_matches_the_reference(self, job, name):
        """The job's export in the store is the reference trainer's model, within 1e-5."""
        ref_store = os.path.join(self.w.path, "ref")
        ref = subprocess.run(neuropart("run", job, "--reference", "--store", ref_store),
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(ref.returncode, 0, ref.stderr)
        want = read_safetensors(os.path.join(ref_store, "jobs", name, "export",
                                             "model.safetensors"))
        got = self.w.export(name)
        for tensor in want:
            diff = np.abs(got[tensor] - want[tensor]) / np.maximum(1.0, np.abs(want[tensor]))
            self.assertLessEqual(float(diff.max()), 1e-5, tensor)


class WorkdirTest(unittest.TestCase):
    """A test case with its own Workdir (self.w), removed afterwards."""

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def serve_job(self, name, **kw):
        return self.w.job(name, mode="serve", **kw)
