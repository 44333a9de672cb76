// The cgroup files the launcher writes: where this process's cgroup of a controller is, and how
// to set one of its control files. cgroup v1 (a hierarchy per controller) and v2 (one unified
// hierarchy with delegated controllers) both.
#ifndef NEUROPART_CLI_CGROUP_FILES_H_
#define NEUROPART_CLI_CGROUP_FILES_H_

#include <string>

#include "neuropart/status.h"

namespace neuropart::cli {

struct CgroupDir {
  std::string path;  // e.g. /sys/fs/cgroup/memory/user.slice or /sys/fs/cgroup/user.slice
  bool v2 = false;
};

// This process's cgroup for `controller` ("memory", "cpu") from /proc/self/cgroup: a v1 line
// "4:memory:/path" wins over the v2 line "0::/path" (in hybrid mode v2 lacks such controllers).
// Unavailable when neither has the controller.
StatusOr<CgroupDir> OwnCgroup(const std::string& controller);

// Writes `value` to the control file `path`; Unavailable naming the file and the reason.
Status WriteControl(const std::string& path, const std::string& value);

// Removes the cgroup directory, retrying while the kernel still tears down its ended processes.
void RemoveCgroup(const std::string& path);

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_CGROUP_FILES_H_
