// ChildProcess: a spawned program whose stdout and stderr are read line by line.
//
// The launcher starts one per partition and polls them all; lines are handed out whole, so a
// worker's progress records never interleave mid-line. Not thread-safe; the launcher's loop owns
// every ChildProcess. Destruction kills a process that is still running.
#ifndef NEUROPART_CLI_CHILD_PROCESS_H_
#define NEUROPART_CLI_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::cli {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`. The child inherits the descriptors in `inherit` under the same
  // numbers; every other descriptor of this process is close-on-exec.
  static StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                       const std::vector<int>& inherit = {});
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }
  int stderr_fd() const { return err_fd_; }
  // Reads what is available on `fd` (one of the two above) and returns the complete lines.
  std::vector<std::string> ReadLines(int fd);
  // Non-blocking: the exit status once the process has ended (and its pipes drained).
  std::optional<int> Poll();
  // Sends SIGTERM if the process still runs; does not wait.
  void Terminate();
  // SIGTERM, then SIGKILL after `grace_ms`; waits for the exit.
  void Stop(int grace_ms);
  // The most memory (resident set) the process held, once it has ended; 0 before.
  int64_t peak_rss_bytes() const { return peak_rss_bytes_; }
  // "exited with code 3", "killed by signal 9 (Killed)".
  static std::string DescribeStatus(int wait_status);

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_buf_, err_buf_;
  std::optional<int> status_;
  int64_t peak_rss_bytes_ = 0;

  // wait4 with `options`; records the status and peak RSS when the process has ended.
  void Reap(int options);
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_CHILD_PROCESS_H_
