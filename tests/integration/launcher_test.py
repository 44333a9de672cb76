"""The local launcher end to end: real worker processes on 127.0.0.1 over ZeroMQ."""
import json
import os
import pwd
import random
import re
import resource
import signal
import socket
import subprocess
import time
import unittest

import numpy as np

from npharness import (ExportChecks, Workdir, children, neuropart, parse_result,
                       read_safetensors, start_and_wait_for_step)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


SYNTHETIC = "{format: synthetic, samples: 640, testSamples: 200, seed: 8}"

BIG_SET_JOB = """\
apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: bigset
spec:
  model:
    inputSize: 784
    init: {seed: 1}
    layers:
      - {name: h1, neurons: 1024, activation: relu}
      - {name: out, neurons: 10, activation: softmax}
  distribution:
    partitions: 2
    strategy: percentage
    scope: perLayer
    percentages: [50, 50]
  training:
    dataset: {format: synthetic, samples: 20000, testSamples: 64, seed: 3}
    epochs: 1
    batchSize: 256
    optimizer: {learningRate: 0.01, momentum: 0.9}
    shuffle: false
    checkpointEvery: 0
"""


def replace_in(path, old, new):
    with open(path) as f:
        text = f.read()
    assert old in text, old
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def stop(launcher):
    """Ctrl-C for a launcher a failed test left running: it stops its workers too."""
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGINT)
        launcher.communicate(timeout=60)


class LauncherTest(ExportChecks, unittest.TestCase):
    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def test_distributed_run_matches_the_reference_trainer(self):
        job = self.w.job("match")
        dist = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(dist.returncode, 0, dist.stderr)
        got = self.w.export("match")
        result = parse_result(dist.stdout)
        self.assertEqual(result["steps"], "40")
        self.assertGreater(float(result["test_accuracy"]), 0.5)
        ref_store = os.path.join(self.w.path, "ref")
        ref = run(neuropart("run", job, "--reference", "--store", ref_store))
        self.assertEqual(ref.returncode, 0, ref.stderr)
        want = read_safetensors(os.path.join(ref_store, "jobs", "match", "export", "model.safetensors"))
        self.assertEqual(sorted(got), sorted(want))
        for name in want:
            diff = np.abs(got[name] - want[name]) / np.maximum(1.0, np.abs(want[name]))
            self.assertLessEqual(float(diff.max()), 1e-5, name)
        self.assertAlmostEqual(float(result["final_loss"]), float(parse_result(ref.stdout)["final_loss"]), places=4)
        # Each partition's traffic per step is the plan's prediction plus wire headers, the HELLOs
        # of the first step and (output owners) one loss report per step.
        for q in range(3):
            m = re.match(r"([\d.]+) bytes/step in ([\d.]+) messages/step \(plan: (\d+) bytes in (\d+)\)",
                         result[f"traffic_p{q}"])
            self.assertIsNotNone(m, result)
            bytes_, msgs, plan_bytes, plan_msgs = (float(g) for g in m.groups())
            self.assertGreaterEqual(msgs, plan_msgs, q)
            self.assertLessEqual(msgs, plan_msgs + 1.5, q)
            self.assertGreaterEqual(bytes_, plan_bytes, q)
            self.assertLessEqual(bytes_, plan_bytes + 128 * msgs, q)

    def test_shared_memory_and_unix_domain_links_end_bit_identical_to_tcp_and_leave_nothing(self):
        tmp = os.path.join(self.w.path, "tmp")
        os.makedirs(tmp)
        env = dict(os.environ, TMPDIR=tmp)
        exports, by_ring = {}, {}
        for links in ("shm", "ipc", "tcp"):
            job = self.w.job("links-" + links)
            r = run(neuropart("run", job, "--store", self.w.store, "--links", links), env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stderr, r"Partition 2: pid \d+, %s://" % ("tcp" if links == "tcp" else "ipc"))
            exports[links] = self.w.export("links-" + links)
            by_ring[links] = [int(m) for m in re.findall(r"(\d+)% of them by shared memory", r.stdout)]
        # Every step's message fits a ring (sized from the plan); only sockets without rings.
        self.assertEqual(by_ring, {"shm": [100, 100, 100], "ipc": [0, 0, 0], "tcp": [0, 0, 0]})
        auto = run(neuropart("run", self.w.job("links-auto", samples=64, epochs=1),
                             "--store", self.w.store), env=env)
        self.assertIn("Links: shared-memory rings between the workers, and Unix-domain sockets",
                      auto.stderr)
        self.assertEqual(os.listdir(tmp), [])  # every run removed its socket directory
        for links in ("shm", "ipc"):
            self.assertEqual(sorted(exports[links]), sorted(exports["tcp"]))
            for name in exports["tcp"]:
                self.assertTrue(np.array_equal(exports[links][name], exports["tcp"][name]),
                                (links, name))

    def test_a_tmpdir_that_cannot_hold_the_sockets_exits_2_before_any_worker_starts(self):
        job = self.w.job("notmp")
        r = run(neuropart("run", job, "--store", self.w.store),
                env=dict(os.environ, TMPDIR="/nonexistent-np-tmp"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("local links: cannot create a directory in /nonexistent-np-tmp", r.stderr)
        self.assertIn("set TMPDIR to a writable directory, or use --links tcp", r.stderr)
        self.assertNotIn("Partition 0: pid", r.stderr)
        self.assertNotIn("Restarting", r.stderr)

    def test_kill_9_of_a_random_worker_resumes_bit_identically(self):
        job = self.w.job("crash", samples=6400, epochs=2, every=8)  # 400 steps
        clean = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(clean.returncode, 0, clean.stderr)
        want = self.w.export("crash")
        crash_store = os.path.join(self.w.path, "crash-store")
        rng = random.Random()
        kill_at = rng.randrange(20, 300)
        p, err_before = start_and_wait_for_step(neuropart("run", job, "--store", crash_store), kill_at)
        workers = children(p.pid)
        self.assertEqual(len(workers), 3, "expected three worker processes")
        victim = rng.choice(workers)
        os.kill(victim, signal.SIGKILL)
        out, err = p.communicate(timeout=300)
        err = err_before + err
        msg = f"killed worker pid {victim} after step {kill_at}\n{err}"
        self.assertEqual(p.returncode, 0, msg)
        self.assertRegex(err, r"Restarting all partitions: partition \d: killed by signal 9 \(Killed\); "
                                   r"restart 1 of 3 from the last checkpoint in 1s", msg)
        self.assertGreater(int(parse_result(out)["start_step"]), 0, msg)
        got = read_safetensors(os.path.join(crash_store, "jobs", "crash", "export", "model.safetensors"))
        self.assertEqual(sorted(got), sorted(want))
        for name in want:
            self.assertTrue(np.array_equal(got[name], want[name]), name)

    def test_a_checkpoint_resumes_under_another_plan_and_still_matches_the_reference(self):
        job = self.w.job("replan", every=4)
        first = run(neuropart("run", job, "--store", self.w.store, "--max-steps", "12"))
        self.assertEqual(first.returncode, 0, first.stderr)
        layers = "    partitions: 2\n    strategy: layers\n    layers: [[h1, out], [h2]]"
        replanned = self.w.job("replan", distribution=layers, every=4)
        second = run(neuropart("run", replanned, "--store", self.w.store))
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("Continuing from the checkpoint of step 12", second.stderr)
        self.assertEqual(parse_result(second.stdout)["start_step"], "12")
        self.assert_export_matches_the_reference(job, "replan")

    def test_backoff_limit_ends_the_job_with_the_reason(self):
        job = self.w.job("giveup", samples=6400, epochs=2, backoff=0)
        p, _ = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 20)
        os.kill(children(p.pid)[1], signal.SIGKILL)
        _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("job giveup failed (BackoffLimitExceeded): partition 1: killed by signal 9", err)
        self.assertIn("backoffLimit 0 reached after 0 restarts", err)

    def test_sigterm_to_a_worker_restarts_the_gang_without_spending_backoff(self):
        # Kubernetes stops an evicted or preempted pod with SIGTERM: the worker ends after its
        # step (exit 143), its peers stop too, and the gang resumes for free.
        job = self.w.job("evicted", samples=6400, epochs=2, every=8, backoff=0)
        p, err_before = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 20)
        os.kill(children(p.pid)[1], signal.SIGTERM)
        out, err = p.communicate(timeout=300)
        err = err_before + err
        self.assertEqual(p.returncode, 0, err)
        self.assertRegex(err, r"Restarting all partitions: partition \d: exited with code 143: .*"
                              r"not counted against backoffLimit", err)
        self.assertEqual(parse_result(out)["restarts"], "1", out)

    def test_ctrl_c_stops_every_worker_and_keeps_the_store_consistent(self):
        job = self.w.job("interrupt", samples=6400, epochs=2, every=3)
        p, _ = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 20)
        workers = children(p.pid)
        self.assertEqual(len(workers), 3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        for w in workers:
            self.assertFalse(os.path.exists(f"/proc/{w}"), "a worker outlived the launcher")
        self.assertFalse(os.path.exists(os.path.join(self.w.store, "jobs", "interrupt", "LEASE")))
        latest = os.path.join(self.w.store, "jobs", "interrupt", "LATEST")
        if os.path.exists(latest):
            with open(latest) as f:
                step = f.read().strip()
            self.assertTrue(os.path.exists(os.path.join(self.w.store, "jobs", "interrupt", "checkpoints",
                                                        step, "manifest.json")))

    def test_a_second_run_of_a_running_job_exits_2_at_once_naming_the_holder(self):
        job = self.w.job("locked", samples=6400, epochs=2, every=8)  # 400 steps
        first, _ = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 20)
        self.addCleanup(stop, first)
        began = time.monotonic()
        second = subprocess.run(neuropart("run", job, "--store", self.w.store),
                                capture_output=True, text=True, timeout=60)
        self.assertLess(time.monotonic() - began, 10)
        lease = os.path.join(self.w.store, "jobs", "locked", "LEASE")
        self.assertEqual(second.returncode, 2, second.stderr)
        holder = (f"owner {pwd.getpwuid(os.geteuid()).pw_name}, host {socket.gethostname()}, "
                  f"pid {first.pid}")
        self.assertRegex(second.stderr,
                         f"^neuropart: store: {re.escape(lease)}: held by another run: "
                         f"{re.escape(holder)}, until "
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ s from now; the holder renews it "
                         r"while it runs\)\n$")
        out, err = first.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(parse_result(out)["steps"], "400")
        self.assertFalse(os.path.exists(lease), "the lease outlived a clean exit")
        self.assert_export_matches_the_reference(job, "locked")

    def test_an_expired_lease_is_taken_over_and_temp_files_of_a_crash_removed(self):
        job = self.w.job("stale")
        job_dir = os.path.join(self.w.store, "jobs", "stale")
        os.makedirs(job_dir)
        lease = os.path.join(job_dir, "LEASE")
        with open(lease, "w") as f:
            f.write('{"owner":"gone","host":"elsewhere","pid":4242,"expires":1700000000,'
                    '"token":"00000000000000dd"}\n')
        temp = os.path.join(job_dir, ".LATEST.tmp.1234.0")
        with open(temp, "w") as f:
            f.write("8")
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"Took over {lease} from a run that stopped renewing it: owner gone, "
                      "host elsewhere, pid 4242, until 2023-11-14T22:13:20Z\n", r.stderr)
        self.assertIn(f"Removed 1 temp file(s) that a stopped run left in {job_dir}\n", r.stderr)
        self.assertFalse(os.path.exists(temp))
        self.assertFalse(os.path.exists(lease))

    def test_a_store_the_user_cannot_write_exits_2_at_once_naming_path_and_uid(self):
        # A root-owned 0755 directory, as a kubelet creates a hostPath volume, and uid 65532.
        store = os.path.join(self.w.path, "root-owned")
        os.makedirs(store, mode=0o755)
        os.chmod(self.w.path, 0o755)
        job = self.w.job("denied")
        os.chmod(job, 0o644)
        as_user = ["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups"] if os.geteuid() == 0 else []
        r = run(as_user + neuropart("run", job, "--store", store))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(os.path.join(store, "jobs", "denied") + " is not writable by uid ", r.stderr)
        self.assertIn(store + " is owned by uid", r.stderr)
        self.assertNotIn("Restarting", r.stderr)

    def test_a_missing_dataset_exits_2_before_any_worker_starts(self):
        job = self.w.job("nodata")
        replace_in(job, SYNTHETIC, "{format: csv, path: /nonexistent/train.csv}")
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "neuropart: spec.training.dataset.path: /nonexistent/train.csv: "
                                   f"No such file or directory ({job}:19)\n")

    def test_an_export_path_that_is_a_file_exits_2_before_training(self):
        job = self.w.job("blocked")
        os.makedirs(os.path.join(self.w.store, "jobs", "blocked"))
        export = os.path.join(self.w.store, "jobs", "blocked", "export")
        open(export, "w").close()
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"neuropart: --store: {export} is not a directory; the job "
                                   f"exports its model to {export}/model.safetensors\n")

    def test_a_store_directory_that_is_a_file_names_the_field_and_line(self):
        job = self.w.job("filestore")
        store = os.path.join(self.w.path, "store-file")
        open(store, "w").close()
        with open(job, "a") as f:
            f.write(f"  storage:\n    directory: {store}\n")
        r = run(neuropart("run", job))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, f"neuropart: spec.storage.directory: mkdir {store}/jobs: Not a "
                                   f"directory ({job}:27)\n")

    # Workers would each allocate their share and die with bad_alloc, attempt after attempt.
    def test_a_model_larger_than_this_machine_exits_2_before_any_worker_starts(self):
        job = self.w.job("huge")
        replace_in(job, "{name: h1, neurons: 48,", "{name: h1, neurons: 1073741824,")
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"^neuropart: spec.model: the 3 partitions need at least \d+ "
                                   r"bytes together, more than this machine's \d+ bytes of memory "
                                   r"\(.*:7\)\n$")

    def test_a_worker_refusing_its_input_stops_the_job_without_restarts(self):
        # The dataset is there (the launcher's check passes) but does not fit the model: every
        # worker refuses it with exit 2, which no restart can mend.
        job = self.w.job("narrow")
        data = os.path.join(self.w.path, "narrow.csv")
        with open(data, "w") as f:
            f.write("0,1,2\n1,3,4\n")
        replace_in(job, SYNTHETIC, "{format: csv, path: " + data + "}")
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("job narrow failed (WorkerConfigError): partition ", r.stderr)
        self.assertIn("has 2 features, spec.model.inputSize is 20", r.stderr)
        self.assertNotIn("Restarting", r.stderr)

    def test_strategy_auto_trains_its_fastest_candidate_and_matches_the_reference(self):
        job = self.w.job("auto", distribution="    partitions: 2\n    strategy: auto")
        r = run(neuropart("plan", job, "--format", "json", "--threads", "2"))
        self.assertEqual(r.returncode, 0, r.stderr)
        prediction = json.loads(r.stdout)["prediction"]
        self.assertEqual(prediction["costs"], "measured")
        self.assertGreater(prediction["gemmFlopsPerSecond"], 1e8)
        candidates = prediction["autoCandidates"]
        self.assertEqual(sorted(c["split"] for c in candidates),
                         ["neuron", "neuron, output on partition 0",
                          "stages h1 h2 | out (1 partition each)",
                          "stages h1 | h2 out (1 partition each)"])
        times = [c["stepSeconds"] for c in candidates]
        self.assertEqual(times, sorted(times))
        self.assertEqual(prediction["stepSeconds"], times[0])
        dist = run(neuropart("run", job, "--store", self.w.store, "--threads", "2"))
        self.assertEqual(dist.returncode, 0, dist.stderr)
        with open(os.path.join(self.w.store, "jobs", "auto", "plan.yaml")) as f:
            stored = f.read()
        self.assertIn('strategy: "auto"', stored)
        # The run measured the machine again, so of two close candidates it may take the other;
        # the candidates themselves do not depend on the measurement.
        self.assertIn(re.search(r'hash: "([0-9a-f]+)"', stored).group(1),
                      [c["hash"] for c in candidates])
        self.assert_export_matches_the_reference(job, "auto")

    def test_bad_cpu_limits_and_capacity_requests_exit_2_before_any_worker_starts(self):
        job = self.w.job("limits", distribution="    partitions: 2\n    strategy: percentage\n"
                                                 "    percentages: [50, 50]")
        for flags, message in [
                (["--cpu-limit", "2=1"], "--cpu-limit: partition 2 does not exist (the job has 2)"),
                (["--cpu-limit", "1=0"], '--cpu-limit: want PARTITION=CORES with CORES > 0, got "1=0"'),
                (["--cpu-limit", "1:0.5"],
                 '--cpu-limit: want PARTITION=CORES with CORES > 0, got "1:0.5"'),
                (["--measure-capacities"], "--measure-capacities: spec.distribution.strategy is "
                                           "percentage; capacities apply to balanced and auto"),
                (["--rebalance"], "--rebalance: spec.distribution.strategy is percentage; "
                                  "capacities apply to balanced and auto")]:
            r = run(neuropart("run", job, "--store", self.w.store, *flags))
            self.assertEqual(r.returncode, 2, flags)
            self.assertIn(message, r.stderr)
            self.assertNotIn("Partition 0: pid", r.stderr)

    def test_rebalance_without_checkpoints_exits_2_before_any_worker_starts(self):
        job = self.w.job("nockpt", distribution="    partitions: 2\n    strategy: balanced",
                         every=0)
        r = run(neuropart("run", job, "--store", self.w.store, "--rebalance"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--rebalance: spec.training.checkpointEvery is 0, and a rebalanced plan "
                      "resumes from a checkpoint", r.stderr)
        self.assertNotIn("Partition 0: pid", r.stderr)

    def test_a_large_training_set_does_not_make_every_step_fault_its_buffers_in(self):
        # A 60 MB training set, loaded in blocks past glibc's largest dynamic mmap threshold, left
        # every step's activation buffers (256 x 512 floats) to mmap: about 1200 page faults a
        # step in each worker, and 12% of the step (worker/main.cc, KeepStepBuffersOnTheHeap).
        path = os.path.join(self.w.path, "bigset.yaml")
        with open(path, "w") as f:
            f.write(BIG_SET_JOB)

        def faults(steps, store):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
            r = run(neuropart("run", path, "--store", store, "--threads", "2",
                              "--max-steps", str(steps)))
            self.assertEqual(r.returncode, 0, r.stderr)
            return resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before

        short = faults(10, os.path.join(self.w.path, "short"))
        long = faults(50, os.path.join(self.w.path, "long"))
        per_step_per_worker = (long - short) / 40 / 2
        self.assertLess(per_step_per_worker, 200, (short, long))

    def test_version_names_the_gemm_kernels_in_use(self):
        # The kernels move the step time by up to 1.8x, and an environment variable chooses them.
        for kernels in ["Haswell", "Sandybridge"]:
            r = run(neuropart("--version"), env=dict(os.environ, OPENBLAS_CORETYPE=kernels))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.splitlines()[1], f"GEMM: OpenBLAS, {kernels} kernels")

    def test_plan_times_each_kind_of_link_between_two_processes(self):
        job = self.w.job("links", distribution="    partitions: 2\n    strategy: balanced")
        for links in ["shm", "ipc", "tcp"]:
            r = run(neuropart("plan", job, "--format", "json", "--links", links))
            self.assertEqual(r.returncode, 0, r.stderr)
            prediction = json.loads(r.stdout)["prediction"]
            # A message costs CPU at both ends and the echo process's share is counted: a
            # wake-up between processes is microseconds, never nothing and never milliseconds.
            self.assertGreater(prediction["messageCpuSeconds"], 1e-6, links)
            self.assertLess(prediction["messageCpuSeconds"], 1e-2, links)
            self.assertGreaterEqual(prediction["messageSeconds"], 0, links)
            self.assertGreater(prediction["linkBytesPerSecond"], 1e7, links)

    def test_plan_with_default_costs_is_the_same_on_every_call(self):
        job = self.w.job("defaults", distribution="    partitions: 3\n    strategy: auto")
        first = run(neuropart("plan", job, "--costs", "defaults"))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("(defaults)", first.stdout)
        self.assertIn('strategy auto chose "', first.stdout)
        self.assertEqual(run(neuropart("plan", job, "--costs", "defaults")).stdout, first.stdout)
        bad = run(neuropart("plan", job, "--costs", "guess"))
        self.assertEqual(bad.returncode, 2)
        self.assertIn('--costs: want measure or defaults, got "guess"', bad.stderr)

    def test_bad_job_file_exits_2_with_the_field_and_line(self):
        job = self.w.job("bad", distribution="    partitions: 2\n    strategy: percentage\n    percentages: [50, 45]")
        r = run(neuropart("run", job, "--store", self.w.store))
        self.assertEqual(r.returncode, 2)
        self.assertIn("spec.distribution.percentages: must sum to 100, got 95 (", r.stderr)


if __name__ == "__main__":
    unittest.main()
