// A minimal blocking HTTP client over a plain socket, for tests of neuropart's HTTP endpoints (it
// shares no code with the server it checks). HttpExchange sends raw bytes, so tests can send what
// no real client would. Test code only; thread-safe.
#ifndef NEUROPART_HTTP_TESTING_HTTP_CLIENT_H_
#define NEUROPART_HTTP_TESTING_HTTP_CLIENT_H_

#include <string>

#include "neuropart/status.h"

namespace neuropart::httptest {

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// A TCP socket connected to 127.0.0.1:`port` (receives time out after 5 s); the caller closes it.
StatusOr<int> ConnectLoopback(int port);
// Sends `request` to 127.0.0.1:`port` and reads until the server closes (or 5 s pass).
StatusOr<HttpReply> HttpExchange(int port, const std::string& request);
// GET `path` with HTTP/1.0.
StatusOr<HttpReply> HttpGet(int port, const std::string& path);

}  // namespace neuropart::httptest

#endif  // NEUROPART_HTTP_TESTING_HTTP_CLIENT_H_
