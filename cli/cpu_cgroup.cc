#include "cpu_cgroup.h"

#include <sys/stat.h>

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cgroup_files.h"

namespace neuropart::cli {
namespace {

constexpr int64_t kPeriodMicros = 10000, kMinQuotaMicros = 1000;

}  // namespace

StatusOr<std::unique_ptr<CpuCgroup>> CpuCgroup::Create(const std::string& name, double cores) {
  if (!(cores > 0)) return InvalidArgumentError("a CPU limit must be > 0 cores");
  ASSIGN_OR_RETURN(const CgroupDir own, OwnCgroup("cpu"));
  const std::string path = own.path + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return UnavailableError("cannot create cpu cgroup " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<CpuCgroup> group(new CpuCgroup(path));
  const int64_t quota = std::max<int64_t>(kMinQuotaMicros, std::llround(cores * kPeriodMicros));
  if (own.v2) {
    RETURN_IF_ERROR(WriteControl(path + "/cpu.max",
                                 std::to_string(quota) + " " + std::to_string(kPeriodMicros)));
  } else {
    // The quota is unlimited (-1) until written, so the period can go first.
    RETURN_IF_ERROR(WriteControl(path + "/cpu.cfs_period_us", std::to_string(kPeriodMicros)));
    RETURN_IF_ERROR(WriteControl(path + "/cpu.cfs_quota_us", std::to_string(quota)));
  }
  // Quota left unused while the process waited for a message may be spent after it, up to one
  // period's: the average stays at `cores`, but answering a message does not wait for the next
  // period. Kernels before 5.14 have no burst; they throttle harder.
  (void)WriteControl(path + (own.v2 ? "/cpu.max.burst" : "/cpu.cfs_burst_us"),
                     std::to_string(quota));
  return group;
}

CpuCgroup::~CpuCgroup() { RemoveCgroup(path_); }

Status CpuCgroup::Add(pid_t pid) {
  return WriteControl(path_ + "/cgroup.procs", std::to_string(pid));
}

}  // namespace neuropart::cli
