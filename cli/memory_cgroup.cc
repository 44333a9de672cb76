#include "memory_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "cgroup_files.h"

namespace neuropart::cli {
namespace {

// The "key N" line of a cgroup's flat-keyed file, or 0.
int64_t KeyedValue(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  int64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

}  // namespace

StatusOr<std::unique_ptr<MemoryCgroup>> MemoryCgroup::Create(const std::string& name,
                                                             int64_t limit_bytes) {
  ASSIGN_OR_RETURN(const CgroupDir own, OwnCgroup("memory"));
  const bool v2 = own.v2;
  const std::string path = own.path + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return UnavailableError("cannot create memory cgroup " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<MemoryCgroup> group(new MemoryCgroup(path, v2));
  RETURN_IF_ERROR(WriteControl(path + (v2 ? "/memory.max" : "/memory.limit_in_bytes"),
                               std::to_string(limit_bytes)));
  if (v2) {
    // Without swap in the limit a process over it would swap instead of dying, as in a pod.
    (void)WriteControl(path + "/memory.swap.max", "0");
  }
  return group;
}

MemoryCgroup::~MemoryCgroup() { RemoveCgroup(path_); }

Status MemoryCgroup::Add(pid_t pid) {
  return WriteControl(path_ + "/cgroup.procs", std::to_string(pid));
}

bool MemoryCgroup::OomKills() const {
  return v2_ ? KeyedValue(path_ + "/memory.events", "oom_kill") > 0
             : KeyedValue(path_ + "/memory.oom_control", "oom_kill") > 0;
}

}  // namespace neuropart::cli
