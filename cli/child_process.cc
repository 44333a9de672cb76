#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

extern char** environ;

namespace neuropart::cli {

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                            const std::vector<int>& inherit) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // dup2 onto itself clears FD_CLOEXEC (glibc 2.29+): the child keeps these under the same number.
  for (int fd : inherit) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  const int rc = posix_spawn(&child->pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  child->out_fd_ = out[0];
  child->err_fd_ = err[0];
  if (rc != 0) {
    child->pid_ = -1;
    return InternalError("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) Stop(0);
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

std::vector<std::string> ChildProcess::ReadLines(int fd) {
  std::string& buf = fd == out_fd_ ? out_buf_ : err_buf_;
  char chunk[4096];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof(chunk))) > 0) buf.append(chunk, n);
  std::vector<std::string> lines;
  size_t start = 0, nl;
  while ((nl = buf.find('\n', start)) != std::string::npos) {
    lines.push_back(buf.substr(start, nl - start));
    start = nl + 1;
  }
  buf.erase(0, start);
  return lines;
}

void ChildProcess::Reap(int options) {
  int status = 0;
  struct rusage usage {};
  if (wait4(pid_, &status, options, &usage) != pid_) return;
  status_ = status;
  peak_rss_bytes_ = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux counts KiB
}

std::optional<int> ChildProcess::Poll() {
  if (!status_) Reap(WNOHANG);
  return status_;
}

void ChildProcess::Terminate() {
  if (pid_ > 0 && !Poll()) kill(pid_, SIGTERM);
}

void ChildProcess::Stop(int grace_ms) {
  if (pid_ <= 0 || Poll()) return;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (!Poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!Poll()) {
    kill(pid_, SIGKILL);
    Reap(0);
  }
}

std::string ChildProcess::DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with status " + std::to_string(status);
}

}  // namespace neuropart::cli
