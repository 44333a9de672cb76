#include "link_sockets.h"

#include <utility>

namespace neuropart::cli {

StatusOr<LinkSockets> LinkSockets::Create(int partitions, bool ipc) {
  LinkSockets s;
  if (ipc) {
    ASSIGN_OR_RETURN(IpcLinks links, IpcLinks::Create(partitions));
    s.ipc_.emplace(std::move(links));
    return s;
  }
  for (int q = 0; q < partitions; ++q) {
    ASSIGN_OR_RETURN(TcpListener l, TcpListener::Listen("127.0.0.1:0"));
    s.tcp_.push_back(std::move(l));
  }
  return s;
}

std::string LinkSockets::endpoint(int q) const {
  return ipc_ ? ipc_->endpoint(q) : "tcp://127.0.0.1:" + std::to_string(tcp_[q].port());
}

int LinkSockets::fd(int q) const { return ipc_ ? ipc_->fd(q) : tcp_[q].fd(); }

}  // namespace neuropart::cli
