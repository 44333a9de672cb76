// TcpListener: an owned, bound and listening TCP socket (close-on-exec).
//
// HttpServer listens through it, and the local launcher binds its workers' sockets with it and
// passes them down (a child inherits the descriptors it is given), so a port chosen by the kernel
// is never released for another process to take. Movable, not copyable; not thread-safe.
#ifndef NEUROPART_HTTP_TCP_LISTENER_H_
#define NEUROPART_HTTP_TCP_LISTENER_H_

#include <string>
#include <utility>

#include "neuropart/status.h"

namespace neuropart {

class TcpListener {
 public:
  // `address` is "host:port", ":port" (every interface) or "[v6]:port"; port 0 takes a free one.
  // InvalidArgument for a malformed address, Unavailable when it cannot bind or listen.
  static StatusOr<TcpListener> Listen(const std::string& address);
  // Adopts a listening socket (inherited from a parent). InvalidArgument if `fd` is not one.
  static StatusOr<TcpListener> Adopt(int fd);

  TcpListener(TcpListener&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}
  TcpListener& operator=(TcpListener&& other) noexcept;
  ~TcpListener();

  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  TcpListener(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
};

// Splits "host:port", ":port" (host "" = every interface) or "[v6]:port". InvalidArgument names
// the address.
StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

}  // namespace neuropart

#endif  // NEUROPART_HTTP_TCP_LISTENER_H_
