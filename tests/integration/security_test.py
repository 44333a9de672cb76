"""Security of a local job with real processes: CURVE on every link (the default), and workers
that die with their launcher."""
import os
import re
import signal
import subprocess
import time
import unittest

import numpy as np

from npharness import (Started, WorkdirTest, children, http_get, neuropart,
                       start_and_wait_for_step, start_serving)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def hostile_peer(*flags):
    return run([os.path.join(os.path.dirname(neuropart()[0]), "neuropart-hostile-peer"), *flags])


def hostile_peer_as(uid, *flags):
    """The hostile peer run as another user (and group), as a stranger on the same machine."""
    return run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                os.path.join(os.path.dirname(neuropart()[0]), "neuropart-hostile-peer"), *flags])


def counter(metrics_text, name, labels=""):
    m = re.search(r'%s\{[^}]*%s[^}]*\} (\S+)' % (name, labels), metrics_text)
    return float(m.group(1)) if m else -1


def gone_within(pids, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{pid}") and not zombie(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return False


class SecurityTest(WorkdirTest):
    def takeover(self, started, *key_flags):
        """HELLO as partition 1 on partition 0's socket, then ABORT as partition 1."""
        return hostile_peer("--connect=" + started.zmq[0], "--plan-hash=0x" + started.plan_hash,
                            "--target=0", "--partitions=3", "--impersonate=1",
                            "--attacks=hello,abort", *key_flags)

    def test_without_encryption_a_stranger_stops_the_job_as_a_partition(self):
        # The attack the keys exist for: it works on a job that turned encryption off.
        job = self.w.job("open", samples=6400, epochs=2, backoff=0, encryption="none")
        p, err_before = start_and_wait_for_step(
            neuropart("run", job, "--store", self.w.store, "--links", "tcp"), 10)
        attack = self.takeover(Started([err_before]))
        _, err = p.communicate(timeout=120)
        self.assertEqual(attack.returncode, 0, attack.stderr)
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("stopped by neuropart-hostile-peer", err)

    def test_with_curve_a_process_without_the_jobs_keys_cannot_connect_or_stop_the_job(self):
        # Long enough (20000 steps) to outlast the keyless peer's 10 s timeout on a fast machine.
        job = self.w.job("guarded", samples=64000, epochs=10, backoff=0)
        keys = os.path.join(self.w.store, "jobs", "guarded", "keys")
        p, err_before = start_and_wait_for_step(
            neuropart("run", job, "--store", self.w.store, "--links", "tcp"), 10)
        started = Started([err_before])
        try:
            # Without keys: its handshake is refused, so its sends time out (10 s) unsent.
            keyless = subprocess.Popen(
                [os.path.join(os.path.dirname(neuropart()[0]), "neuropart-hostile-peer"),
                 "--connect=" + started.zmq[0], "--plan-hash=0x" + started.plan_hash,
                 "--target=0", "--partitions=3", "--impersonate=1", "--attacks=hello,abort"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # With the client key it connects, but is no partition: dropped after decoding.
            insider = self.takeover(started, "--keys=" + keys, "--key-owner=client")
            # The worker counts a message when its training loop reads it: wait for both.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                metrics = http_get(started.metrics[0])
                if (counter(metrics, "neuropart_handshakes_refused_total") >= 1 and
                        counter(metrics, "neuropart_messages_dropped_total",
                                'reason="unknown_source"') >= 2):
                    break
                time.sleep(0.1)
            running = p.poll() is None
            _, keyless_err = keyless.communicate(timeout=60)
        finally:
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
        self.assertTrue(running, err)
        self.assertEqual(keyless.returncode, 1, keyless_err)
        self.assertIn("not taken within", keyless_err)  # never connected
        self.assertEqual(insider.returncode, 0, insider.stderr)
        self.assertGreaterEqual(counter(metrics, "neuropart_handshakes_refused_total"), 1, metrics)
        self.assertEqual(counter(metrics, "neuropart_messages_dropped_total",
                                 'reason="unknown_source"'), 2, metrics)
        self.assertEqual(p.returncode, 130, err)  # stopped by us, not by them
        self.assertNotIn("stopped by neuropart-hostile-peer", err)
        self.assertNotIn("Restarting", err)

    def test_infer_with_another_jobs_client_key_is_refused(self):
        other = self.w.job("other", samples=64, epochs=1)
        # Over TCP, so that its CURVE keys exist (a Unix-domain run has none).
        trained = run(neuropart("run", other, "--store", self.w.store, "--links", "tcp"))
        self.assertEqual(trained.returncode, 0, trained.stderr)
        job = self.serve_job("served")
        p, started, endpoint = start_serving(job, self.w.store)
        try:
            stranger = run(neuropart("infer", job, "--connect", endpoint, "--rows", "1",
                                     "--timeout-seconds", "2", "--keys",
                                     os.path.join(self.w.store, "jobs", "other", "keys")))
            owner = run(neuropart("infer", job, "--connect", endpoint, "--rows", "1",
                                  "--store", self.w.store))
            text = http_get(started.metrics[0])
        finally:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=60)
        self.assertEqual(stranger.returncode, 1, stranger.stderr)
        self.assertIn("no answer within 2000 ms", stranger.stderr)
        self.assertEqual(owner.returncode, 0, owner.stderr)
        self.assertGreaterEqual(counter(text, "neuropart_handshakes_refused_total"), 1, text)

    def test_keys_are_private_to_the_user(self):
        job = self.w.job("private", samples=64, epochs=1)
        r = run(neuropart("run", job, "--store", self.w.store, "--links", "tcp"))
        self.assertEqual(r.returncode, 0, r.stderr)
        keys = os.path.join(self.w.store, "jobs", "private", "keys")
        self.assertEqual(os.stat(keys).st_mode & 0o777, 0o700)
        names = sorted(os.listdir(keys))
        self.assertEqual(names, ["client.secret", "partition-0.secret", "partition-1.secret",
                                 "partition-2.secret", "public.keys", "status.token"])
        for name in names:
            self.assertEqual(os.stat(os.path.join(keys, name)).st_mode & 0o777, 0o600, name)
        self.assertNotIn(open(os.path.join(keys, "partition-0.secret")).read().split()[1],
                         r.stdout + r.stderr)

    def test_neuropart_keys_writes_a_jobs_keys_for_workers_started_by_hand(self):
        job = self.w.job("byhand")
        out = os.path.join(self.w.path, "keys")
        r = run(neuropart("keys", job, "--output", out))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"keys for 3 partitions and a client: {out}\n")
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o700)
        self.assertEqual(len(open(os.path.join(out, "public.keys")).read().splitlines()), 4)
        missing = run(neuropart("keys", job))
        self.assertEqual(missing.returncode, 2, missing.stderr)
        self.assertEqual(missing.stderr, "neuropart: --output: required\n")

    def test_training_with_curve_ends_bit_identical_to_training_without(self):
        exports = {}
        for encryption in ("curve", "none"):
            job = self.w.job("same-" + encryption, samples=1280, encryption=encryption)
            r = run(neuropart("run", job, "--store", self.w.store, "--links", "tcp"))
            self.assertEqual(r.returncode, 0, r.stderr)
            exports[encryption] = self.w.export("same-" + encryption)
        self.assertEqual(sorted(exports["curve"]), sorted(exports["none"]))
        for name in exports["curve"]:
            self.assertTrue(np.array_equal(exports["curve"][name], exports["none"][name]), name)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run the stranger as another user")
    def test_unix_domain_links_are_out_of_reach_of_another_user(self):
        # The local default: no CURVE, so the directory's permissions are the whole guard.
        job = self.w.job("local", samples=64000, epochs=10, backoff=0)
        p, err_before = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 10)
        started = Started([err_before])
        try:
            self.assertTrue(started.zmq[0].startswith("ipc://"), err_before)
            sockets = os.path.dirname(started.zmq[0][len("ipc://"):])
            self.assertEqual(os.stat(sockets).st_mode & 0o777, 0o700)
            stranger = hostile_peer_as(
                65532, "--connect=" + started.zmq[0], "--plan-hash=0x" + started.plan_hash,
                "--target=0", "--partitions=3", "--impersonate=1", "--attacks=hello,abort")
            running = p.poll() is None
        finally:
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
        self.assertTrue(running, err)
        self.assertEqual(stranger.returncode, 1, stranger.stderr)
        self.assertIn("not taken within", stranger.stderr)  # never connected
        self.assertEqual(p.returncode, 130, err)  # stopped by us, not by them
        self.assertNotIn("stopped by neuropart-hostile-peer", err)
        self.assertFalse(os.path.exists(sockets), "the launcher left its sockets behind")

    def test_sigkill_to_the_launcher_takes_its_workers_with_it(self):
        job = self.w.job("orphans", samples=6400, epochs=2)
        p, _ = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 10)
        workers = children(p.pid)
        self.assertEqual(len(workers), 3)
        p.kill()
        p.communicate(timeout=30)
        self.assertTrue(gone_within(workers, 5), "a worker outlived its launcher")

    def test_sighup_stops_the_launcher_and_its_workers_like_sigterm(self):
        job = self.w.job("hangup", samples=6400, epochs=2)
        p, _ = start_and_wait_for_step(neuropart("run", job, "--store", self.w.store), 10)
        workers = children(p.pid)
        p.send_signal(signal.SIGHUP)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertTrue(gone_within(workers, 1), "a worker outlived its launcher")


if __name__ == "__main__":
    unittest.main()
