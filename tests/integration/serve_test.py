"""Serve mode and a worker's outside surfaces (status, metrics, hostile peers), with real worker
processes on 127.0.0.1."""
import json
import os
import re
import signal
import subprocess
import unittest

import numpy as np

from npharness import (Started, WorkdirTest, children, http_get, neuropart, read_safetensors,
                       start_and_wait_for_step, start_serving)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def outputs(stdout):
    """The rows `neuropart infer` printed, as a float array (predicted class dropped)."""
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("predicted,"), stdout
    return np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])


def dropped(metrics_text, reason):
    m = re.search(r'neuropart_messages_dropped_total\{[^}]*reason="%s"[^}]*\} (\S+)' % reason, metrics_text)
    return float(m.group(1)) if m else -1


class ServeTest(WorkdirTest):
    def test_serving_a_trained_job_answers_like_the_reference_forward_pass(self):
        train = self.w.job("model")
        self.assertEqual(run(neuropart("run", train, "--store", self.w.store)).returncode, 0)
        job = self.serve_job("model")  # same name: serves the job's last checkpoint
        p, started, endpoint = start_serving(job, self.w.store)
        try:
            status = json.loads(http_get(started.status))
            self.assertEqual(status["phase"], "Serving")
            self.assertEqual(status["step"], 40)
            served = run(neuropart("infer", job, "--connect", endpoint, "--rows", "0",
                                     "--store", self.w.store))
            self.assertEqual(served.returncode, 0, served.stderr)
            self.assertIn("accuracy: ", served.stderr)
        finally:
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("Stopped serving", err)
        local = run(neuropart("infer", job, "--reference", "--rows", "0", "--store", self.w.store))
        self.assertEqual(local.returncode, 0, local.stderr)
        got, want = outputs(served.stdout), outputs(local.stdout)
        self.assertEqual(got.shape, (200, 6))
        self.assertLessEqual(float(np.abs(got - want).max()), 1e-5)

    def test_pytorch_loads_the_export_into_linear_layers_and_computes_the_same_outputs(self):
        import torch

        job = self.w.job("dense")
        with open(job) as f:
            text = f.read().replace(", connectivity: {type: sparse, fanIn: 8, seed: 2}", "")
        with open(job, "w") as f:
            f.write(text)
        self.assertEqual(run(neuropart("run", job, "--store", self.w.store)).returncode, 0)
        tensors = self.w.export("dense")
        model = torch.nn.Sequential(torch.nn.Linear(20, 48), torch.nn.ReLU(), torch.nn.Linear(48, 32),
                                    torch.nn.Tanh(), torch.nn.Linear(32, 6), torch.nn.Softmax(dim=1))
        state = {f"{i}.{kind}": torch.from_numpy(tensors[f"{name}.{kind}"].copy())
                 for i, name in ((0, "h1"), (2, "h2"), (4, "out")) for kind in ("weight", "bias")}
        model.load_state_dict(state)  # strict: every nn.Linear tensor present with its shape
        rows = os.path.join(self.w.path, "rows.csv")
        x = np.random.default_rng(3).random((16, 20), dtype=np.float32)
        np.savetxt(rows, x, delimiter=",", fmt="%.9g")
        ours = run(neuropart("infer", job, "--reference", "--input", rows, "--rows", "0",
                             "--store", self.w.store))
        self.assertEqual(ours.returncode, 0, ours.stderr)
        with torch.no_grad():
            theirs = model(torch.from_numpy(np.loadtxt(rows, delimiter=",", dtype=np.float32))).numpy()
        self.assertLessEqual(float(np.abs(outputs(ours.stdout) - theirs).max()), 1e-5)

    def test_input_rows_of_the_wrong_width_are_refused_naming_file_and_line(self):
        job = self.serve_job("narrow")
        rows = os.path.join(self.w.path, "rows.csv")
        with open(rows, "w") as f:
            f.write(",".join(["0.5"] * 20) + "\n1,2,3\n")
        r = run(neuropart("infer", job, "--connect", "tcp://127.0.0.1:9", "--input", rows))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(rows + ":2: want 20 columns (spec.model.inputSize), got 3", r.stderr)

    def test_hostile_messages_are_dropped_counted_and_serving_goes_on(self):
        # Without encryption, so that the messages reach the admission rules (security_test.py
        # shows that with CURVE they do not even connect).
        job = self.serve_job("hostile", encryption="none")
        p, started, endpoint = start_serving(job, self.w.store)
        try:
            attacks = "garbage,bad_version,unknown_type,huge_length,foreign_plan,wrong_destination,unknown_source,no_hello"
            hostile = run([os.path.join(os.path.dirname(neuropart()[0]), "neuropart-hostile-peer"),
                           "--connect=" + started.zmq[1], "--plan-hash=0x" + started.plan_hash,
                           "--target=1", "--partitions=3", "--impersonate=2", "--attacks=" + attacks,
                           "--repeat=3"])
            self.assertEqual(hostile.returncode, 0, hostile.stderr)
            served = run(neuropart("infer", job, "--connect", endpoint, "--rows", "20"))
            self.assertEqual(served.returncode, 0, served.stderr)
            metrics = http_get(started.metrics[1])
        finally:
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        for reason, count in [("malformed", 3), ("bad_version", 3), ("unknown_type", 3), ("oversized", 3),
                              ("foreign_plan", 3), ("wrong_destination", 3), ("unknown_source", 6)]:
            self.assertEqual(dropped(metrics, reason), count, reason)
        local = run(neuropart("infer", job, "--reference", "--rows", "20", "--store", self.w.store))
        self.assertLessEqual(float(np.abs(outputs(served.stdout) - outputs(local.stdout)).max()), 1e-5)

    def test_training_attacked_by_a_hostile_peer_ends_like_an_unattacked_run(self):
        job = self.w.job("attacked", samples=12800, epochs=2, encryption="none")  # 800 steps
        clean = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(clean.returncode, 0, clean.stderr)
        want = self.w.export("attacked")
        store = os.path.join(self.w.path, "attacked-store")
        p, err_before = start_and_wait_for_step(neuropart("run", job, "--store", store), 40)
        started = Started([err_before])
        hostile = run([os.path.join(os.path.dirname(neuropart()[0]), "neuropart-hostile-peer"),
                       "--connect=" + started.zmq[1], "--plan-hash=0x" + started.plan_hash,
                       "--target=1", "--partitions=3", "--impersonate=0", "--step=40",
                       "--stale-step=1", "--attacks=all", "--repeat=5"])
        _, err = p.communicate(timeout=300)
        self.assertEqual(hostile.returncode, 0, hostile.stderr)
        self.assertEqual(p.returncode, 0, err_before + err)
        self.assertNotIn("Restarting", err)
        got = read_safetensors(os.path.join(store, "jobs", "attacked", "export", "model.safetensors"))
        for name in want:
            self.assertTrue(np.array_equal(got[name], want[name]), name)


if __name__ == "__main__":
    unittest.main()
