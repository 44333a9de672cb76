"""Capacities measured from the workers' speed: --measure-capacities and --rebalance.

These tests time the workers, so ctest runs them alone (RUN_SERIAL): another test's processes on
the same cores would change what they measure (CI once measured a 0.4-core worker at 0.72 of an
unlimited one, and a quarter-core one faster than it).
"""
import os
import re
import subprocess
import unittest

from npharness import ExportChecks, WorkdirTest, neuropart, parse_result


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


class CapacitiesTest(ExportChecks, WorkdirTest):
    def test_measured_capacities_give_a_cpu_limited_worker_fewer_neurons(self):
        job = self.w.job("slow", distribution="    partitions: 2\n    strategy: balanced")
        r = run(neuropart("run", job, "--store", self.w.store, "--threads", "2",
                          "--cpu-limit", "1=0.25", "--measure-capacities"))
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"Measured capacities: p0 [\d.]+ GFLOP/s \(([\d.]+)\) p1 [\d.]+ GFLOP/s "
                      r"\(([\d.]+)\)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertEqual(float(m.group(1)), 1.0)
        self.assertLess(float(m.group(2)), 0.5)  # a quarter of a core (0.28 here), with margin
        with open(os.path.join(self.w.store, "jobs", "slow", "plan.yaml")) as f:
            h1 = re.search(r"ownership: \[\s*\[\[0, ?(\d+), ?0\], ?\[\d+, ?48, ?1\]\]", f.read())
        self.assertIsNotNone(h1)
        # h1's 48 neurons split 1 : capacity.
        self.assertLessEqual(abs(int(h1.group(1)) - 48 / (1 + float(m.group(2)))), 1)
        self.assert_export_matches_the_reference(job, "slow")
        cpu = "/sys/fs/cgroup/cpu" if os.path.isdir("/sys/fs/cgroup/cpu") else "/sys/fs/cgroup"
        self.assertEqual([d for d in os.listdir(cpu) if "neuropart-slow" in d], [],
                         "every cgroup the run made is removed")

    def test_rebalance_moves_neurons_off_a_cpu_limited_worker_and_stays_exact(self):
        # Wide enough that a step's compute outweighs its noise, long enough that re-planning
        # pays for its restart: 300 steps as 3 epochs, since a restart regenerates the
        # synthetic dataset and costs more the more samples it has.
        job = os.path.join(self.w.path, "rebalance.yaml")
        with open(job, "w") as f:
            f.write(self.w.job_text("rebalance", samples=128 * 100, every=10,
                                    distribution="    partitions: 2\n    strategy: balanced")
                    .replace("inputSize: 20", "inputSize: 512")
                    .replace("neurons: 48", "neurons: 2048")
                    .replace("batchSize: 32", "batchSize: 128")
                    .replace("epochs: 2", "epochs: 3"))
        r = run(neuropart("run", job, "--store", self.w.store, "--threads", "2",
                          "--cpu-limit", "1=0.25", "--rebalance"))
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"Rebalanced: measured capacities p0 ([\d.]+) p1 ([\d.]+) against the "
                      r"plan's p0 1.00 p1 1.00; resuming from the last checkpoint with p0 1.00 "
                      r"p1 ([\d.]+) \(plan ([0-9a-f]{16})\)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertEqual(float(m.group(1)), 1.0)
        self.assertLess(float(m.group(2)), 0.6)  # a quarter of a core, with margin
        result = parse_result(r.stdout)
        self.assertGreaterEqual(int(result["rebalances"]), 1)
        self.assertNotIn("restarts", result)
        with open(os.path.join(self.w.store, "jobs", "rebalance", "plan.yaml")) as f:
            h1 = re.search(r"ownership: \[\s*\[\[0, ?(\d+), ?0\], ?\[\d+, ?2048, ?1\]\]",
                           f.read())
        self.assertIsNotNone(h1)
        self.assertGreater(int(h1.group(1)), 2048 * 0.6, "partition 0 took most of h1")
        self.assert_export_matches_the_reference(job, "rebalance")
        cpu = "/sys/fs/cgroup/cpu" if os.path.isdir("/sys/fs/cgroup/cpu") else "/sys/fs/cgroup"
        self.assertEqual([d for d in os.listdir(cpu) if "neuropart-rebalance" in d], [])


if __name__ == "__main__":
    unittest.main()
