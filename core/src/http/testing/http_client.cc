#include "testing/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace neuropart::httptest {

StatusOr<int> ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return InternalError("socket: " + std::string(std::strerror(errno)));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return UnavailableError("connect to port " + std::to_string(port) + ": " +
                            std::strerror(errno));
  }
  return fd;
}

StatusOr<HttpReply> HttpExchange(int port, const std::string& request) {
  ASSIGN_OR_RETURN(const int fd, ConnectLoopback(port));
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return UnavailableError("send: " + std::string(std::strerror(errno)));
  }
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t line_end = raw.find("\r\n");
  const size_t body_start = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || line_end == std::string::npos || line_end < 12 ||
      body_start == std::string::npos) {
    return CorruptionError("not an HTTP response: '" + raw.substr(0, 80) + "'");
  }
  HttpReply reply;
  reply.status = std::atoi(raw.c_str() + 9);
  reply.head = raw.substr(0, body_start);
  reply.body = raw.substr(body_start + 4);
  return reply;
}

StatusOr<HttpReply> HttpGet(int port, const std::string& path) {
  return HttpExchange(port,
                      "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

}  // namespace neuropart::httptest
