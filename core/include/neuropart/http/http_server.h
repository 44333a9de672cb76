// HttpServer: the small HTTP/1.1 server behind every neuropart endpoint — a worker's /status,
// /metrics, /healthz and /readyz, the operator's /metrics and probes.
//
// It serves GET and HEAD only, one request per connection (the response carries
// `Connection: close`), which is all probes and Prometheus need. Inputs are bounded: request line
// and headers together at most max_header_bytes (else 431), no request body (a non-zero
// Content-Length or chunked body gets 413), at most max_connections at once (more wait in the
// kernel's backlog), and a connection that has not sent its whole request within
// request_timeout is closed. It binds its own socket, so a port of 0 takes a free one and port()
// reports which: there is no window in which another process can take it. Or it adopts a
// listening socket a parent process bound and passed down (listen_fd).
//
// The handler runs on the server's connection threads, concurrently: it must be thread-safe and
// outlive the server. Start and the destructor run on one thread; the destructor stops accepting,
// closes idle connections and waits for handlers in progress.
#ifndef NEUROPART_HTTP_HTTP_SERVER_H_
#define NEUROPART_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "neuropart/http/tcp_listener.h"
#include "neuropart/status.h"

namespace neuropart {

struct HttpRequest {
  std::string method;  // GET or HEAD
  std::string path;    // without the query
  std::string query;   // after '?', or ""
  std::string authorization;  // the Authorization header's value, or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // "host:port", ":port" (every interface), "[v6]:port". Ignored when listen_fd >= 0.
  std::string address = "127.0.0.1:0";
  int listen_fd = -1;  // a bound, listening TCP socket to adopt (and close when done)
  size_t max_header_bytes = 16 * 1024;
  int max_connections = 16;
  std::chrono::milliseconds request_timeout{10'000};
};

class HttpServer {
 public:
  // InvalidArgument for a malformed address, Unavailable when it cannot bind or listen.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart

#endif  // NEUROPART_HTTP_HTTP_SERVER_H_
