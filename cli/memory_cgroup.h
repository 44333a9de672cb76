// MemoryCgroup: a memory limit on one local worker process, as a pod's limit is on Kubernetes.
//
// The launcher makes one cgroup per worker below its own memory cgroup (cgroup v1's memory
// controller, or v2 where the memory controller is delegated), sets its limit, and moves the
// worker into it right after spawning it: the kernel then kills the worker with SIGKILL when it
// exceeds the limit, and OomKills() tells that death from others. Creating one needs write access
// to the cgroup tree (root, or a delegated subtree); where there is none, Create says why and the
// launcher runs the workers unlimited, saying so. Not thread-safe; the destructor removes the
// cgroup once its processes have ended.
#ifndef NEUROPART_CLI_MEMORY_CGROUP_H_
#define NEUROPART_CLI_MEMORY_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "neuropart/status.h"

namespace neuropart::cli {

class MemoryCgroup {
 public:
  // A new cgroup `name` (one path component) limited to `limit_bytes`, beside the cgroups of
  // this process's other workers. Unavailable, naming the path and the reason, when it cannot.
  static StatusOr<std::unique_ptr<MemoryCgroup>> Create(const std::string& name,
                                                        int64_t limit_bytes);
  ~MemoryCgroup();

  Status Add(pid_t pid);
  // Whether the kernel killed a process of this cgroup for exceeding the limit.
  bool OomKills() const;
  const std::string& path() const { return path_; }

 private:
  MemoryCgroup(std::string path, bool v2) : path_(std::move(path)), v2_(v2) {}
  std::string path_;
  bool v2_;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_MEMORY_CGROUP_H_
