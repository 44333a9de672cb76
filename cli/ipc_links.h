// IpcLinks: the ZeroMQ links of one local attempt as Unix-domain sockets (ZeroMQ's ipc://).
//
// When every partition runs on this machine, their links need neither TCP nor CURVE: the sockets
// live in a fresh directory only this user can enter (mode 0700, as the store's key files are
// 0600), so no other user's process can connect, and the kernel copies the bytes from one process
// to the other without the TCP stack. Like the TCP sockets, they are bound and listening here and
// inherited by the workers, so no other process can take a socket's path in between.
// Movable, not copyable; the destructor closes the sockets and removes the directory.
#ifndef NEUROPART_CLI_IPC_LINKS_H_
#define NEUROPART_CLI_IPC_LINKS_H_

#include <string>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::cli {

class IpcLinks {
 public:
  // One listening socket per partition in a new directory under `parent` (default: $TMPDIR,
  // else /tmp). InvalidArgument when the socket paths would not fit a sockaddr_un (108 bytes),
  // Unavailable when the directory or a socket cannot be made.
  static StatusOr<IpcLinks> Create(int partitions, std::string parent = "");

  IpcLinks(IpcLinks&& other) noexcept;
  IpcLinks& operator=(IpcLinks&&) = delete;
  ~IpcLinks();

  const std::string& dir() const { return dir_; }
  int fd(int q) const { return fds_[q]; }
  // "ipc://<dir>/p<q>".
  std::string endpoint(int q) const;

 private:
  IpcLinks() = default;
  void Remove();

  std::string dir_;
  std::vector<int> fds_;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_IPC_LINKS_H_
