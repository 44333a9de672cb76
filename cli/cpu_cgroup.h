// CpuCgroup: a CPU limit on one local process, as a pod's `limits.cpu` is on Kubernetes: the
// kernel's CFS quota lets it run `cores` CPUs' worth of time per period (cpu.max in cgroup v2,
// cpu.cfs_quota_us / cpu.cfs_period_us in v1).
//
// `neuropart run --cpu-limit` puts a partition's worker (and its capacity probe) in one, to run a
// worker slower than the others on one machine: how heterogeneity is measured here. The period is
// 10 ms, not the kernel's 100 ms default, and unused quota may be spent later (the burst), because
// a process out of quota cannot answer a message until the next period: with a long period and
// no burst every exchange of a step would wait for one. Needs write access to the cpu controller (root, or a delegated subtree). Not
// thread-safe; the destructor removes the cgroup once its processes have ended.
#ifndef NEUROPART_CLI_CPU_CGROUP_H_
#define NEUROPART_CLI_CPU_CGROUP_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "neuropart/status.h"

namespace neuropart::cli {

class CpuCgroup {
 public:
  // A new cgroup `name` (one path component) limited to `cores` CPUs (> 0), beside this
  // process's own. Unavailable, naming the path and the reason, when it cannot be made.
  static StatusOr<std::unique_ptr<CpuCgroup>> Create(const std::string& name, double cores);
  ~CpuCgroup();

  Status Add(pid_t pid);
  const std::string& path() const { return path_; }

 private:
  explicit CpuCgroup(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_CPU_CGROUP_H_
