#include "memory_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace neuropart::cli {
namespace {

// This process's memory cgroup directory and whether it is cgroup v2, from /proc/self/cgroup:
// a v1 line "4:memory:/path" wins over the v2 line "0::/path" (in hybrid mode v2 has no memory).
StatusOr<std::pair<std::string, bool>> OwnMemoryCgroup() {
  std::ifstream in("/proc/self/cgroup");
  if (!in) return UnavailableError("cannot read /proc/self/cgroup");
  std::string line, v2_path;
  while (std::getline(in, line)) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) {
      if (c == "memory") return std::make_pair("/sys/fs/cgroup/memory" + path, false);
    }
    if (controllers.empty()) v2_path = path;
  }
  std::ifstream v2("/sys/fs/cgroup" + v2_path + "/cgroup.subtree_control");
  std::string enabled((std::istreambuf_iterator<char>(v2)), std::istreambuf_iterator<char>());
  if (enabled.find("memory") == std::string::npos) {
    return UnavailableError("no memory cgroup controller is available to this process");
  }
  return std::make_pair("/sys/fs/cgroup" + v2_path, true);
}

Status WriteControl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) {
    return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

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
  ASSIGN_OR_RETURN(const auto own, OwnMemoryCgroup());
  const auto& [parent, v2] = own;
  const std::string path = parent + "/" + name;
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

MemoryCgroup::~MemoryCgroup() {
  // The kernel refuses while an ended process is still being torn down: retry briefly.
  for (int i = 0; i < 50 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status MemoryCgroup::Add(pid_t pid) {
  return WriteControl(path_ + "/cgroup.procs", std::to_string(pid));
}

bool MemoryCgroup::OomKills() const {
  return v2_ ? KeyedValue(path_ + "/memory.events", "oom_kill") > 0
             : KeyedValue(path_ + "/memory.oom_control", "oom_kill") > 0;
}

}  // namespace neuropart::cli
