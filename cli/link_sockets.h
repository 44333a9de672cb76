// LinkSockets: the listening ZeroMQ link socket of every partition of a local attempt, either
// Unix-domain sockets (IpcLinks) or TCP on 127.0.0.1, bound here before any worker starts and
// inherited by the workers, so that no other process can take a port or path in between. Used by
// the launcher and by the link calibration's echo process. Movable, not assignable.
#ifndef NEUROPART_CLI_LINK_SOCKETS_H_
#define NEUROPART_CLI_LINK_SOCKETS_H_

#include <optional>
#include <string>
#include <vector>

#include "ipc_links.h"
#include "neuropart/http/tcp_listener.h"
#include "neuropart/status.h"

namespace neuropart::cli {

class LinkSockets {
 public:
  // One listening socket per partition: Unix-domain with `ipc`, else TCP. Unavailable (or
  // InvalidArgument, from IpcLinks) when one cannot be made.
  static StatusOr<LinkSockets> Create(int partitions, bool ipc);

  // "ipc://<dir>/p<q>" or "tcp://127.0.0.1:<port>".
  std::string endpoint(int q) const;
  int fd(int q) const;

 private:
  LinkSockets() = default;
  std::optional<IpcLinks> ipc_;
  std::vector<TcpListener> tcp_;  // without ipc
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_LINK_SOCKETS_H_
