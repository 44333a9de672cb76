#include "neuropart/http/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace neuropart {
namespace {

using Clock = std::chrono::steady_clock;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Waits until `fd` is readable (or writable) or `deadline` passes or `wake` fires.
bool WaitFor(int fd, short events, int wake, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd fds[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
  const int n = poll(fds, 2, static_cast<int>(left.count()));
  return n > 0 && (fds[0].revents & (events | POLLHUP | POLLERR)) && !(fds[1].revents & POLLIN);
}

void WriteAll(int fd, const std::string& data, int wake, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size() && WaitFor(fd, POLLOUT, wake, deadline)) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0 && errno != EINTR && errno != EAGAIN) return;
    if (n > 0) sent += static_cast<size_t>(n);
  }
}

std::string Format(const HttpResponse& r, bool with_body, const char* extra_header = "") {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += extra_header;
  out += "Connection: close\r\n\r\n";
  if (with_body) out += r.body;
  return out;
}

HttpResponse Plain(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// The request head (up to the blank line), or the status to refuse it with.
struct Head {
  int refuse = 0;
  HttpRequest request;
};

Head ParseHead(const std::string& head) {
  Head h;
  const size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || line.compare(sp2 + 1, 7, "HTTP/1.") != 0) {
    h.refuse = 400;
    return h;
  }
  h.request.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target[0] != '/') {
    h.refuse = 400;
    return h;
  }
  if (const size_t q = target.find('?'); q != std::string::npos) {
    h.request.query = target.substr(q + 1);
    target.resize(q);
  }
  h.request.path = target;
  for (size_t at = line_end + 2; at < head.size();) {
    const size_t end = head.find("\r\n", at);
    const std::string field = head.substr(at, end - at);
    at = end == std::string::npos ? head.size() : end + 2;
    const size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = Lower(field.substr(0, colon));
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (name == "authorization") h.request.authorization = value;
    if (name == "transfer-encoding" || (name == "content-length" && value != "0")) {
      h.refuse = 413;
    }
  }
  if (h.refuse == 0 && h.request.method != "GET" && h.request.method != "HEAD") h.refuse = 405;
  return h;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(TcpListener l) : listener(std::move(l)) {}
  HttpServerOptions options;
  HttpHandler handler;
  TcpListener listener;
  int wake[2] = {-1, -1};  // written once at shutdown: every poll() returns
  std::thread acceptor;
  std::mutex mu;
  std::condition_variable changed;
  int active = 0;  // connections being served

  ~Impl() {
    for (int fd : {wake[0], wake[1]}) {
      if (fd >= 0) close(fd);
    }
  }

  void AcceptLoop() {
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return active < options.max_connections; });
      }
      pollfd fds[2] = {{listener.fd(), POLLIN, 0}, {wake[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno == EINTR) continue;
      if (fds[1].revents & POLLIN) return;
      if (!(fds[0].revents & POLLIN)) continue;
      const int fd = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      {
        std::lock_guard<std::mutex> lock(mu);
        ++active;
      }
      std::thread([this, fd] {
        Serve(fd);
        close(fd);
        std::lock_guard<std::mutex> lock(mu);
        --active;
        changed.notify_all();
      }).detach();
    }
  }

  void Serve(int fd) {
    const Clock::time_point deadline = Clock::now() + options.request_timeout;
    std::string head;
    char buf[4096];
    size_t end = std::string::npos;
    while ((end = head.find("\r\n\r\n")) == std::string::npos) {
      if (head.size() > options.max_header_bytes) {
        return WriteAll(fd, Format(Plain(431, "request head too large\n"), true), wake[0],
                        Clock::now() + std::chrono::seconds(1));
      }
      if (!WaitFor(fd, POLLIN, wake[0], deadline)) {
        return WriteAll(fd, Format(Plain(408, "request timeout\n"), true), wake[0],
                        Clock::now() + std::chrono::seconds(1));
      }
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
      if (n > 0) head.append(buf, static_cast<size_t>(n));
    }
    if (end > options.max_header_bytes) {
      return WriteAll(fd, Format(Plain(431, "request head too large\n"), true), wake[0], deadline);
    }
    head.resize(end + 2);
    const Head h = ParseHead(head);
    HttpResponse response;
    const char* extra = "";
    if (h.refuse == 405) {
      response = Plain(405, "only GET and HEAD\n");
      extra = "Allow: GET, HEAD\r\n";
    } else if (h.refuse != 0) {
      response = Plain(h.refuse, h.refuse == 413 ? "no request body is accepted\n"
                                                 : "malformed request\n");
    } else {
      try {
        response = handler(h.request);
      } catch (const std::exception& e) {
        response = Plain(500, std::string(e.what()) + "\n");
      }
    }
    WriteAll(fd, Format(response, h.request.method != "HEAD", extra), wake[0],
             Clock::now() + options.request_timeout);
  }
};

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        HttpHandler handler) {
  ASSIGN_OR_RETURN(TcpListener listener, options.listen_fd >= 0
                                              ? TcpListener::Adopt(options.listen_fd)
                                              : TcpListener::Listen(options.address));
  auto impl = std::make_unique<Impl>(std::move(listener));
  impl->options = options;
  impl->handler = std::move(handler);
  if (pipe2(impl->wake, O_CLOEXEC) != 0) return InternalError("http server: pipe2 failed");
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  const char byte = 1;
  (void)!write(impl_->wake[1], &byte, 1);
  {
    // The acceptor may wait for a free connection slot; wake it too.
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->options.max_connections = INT32_MAX;
  }
  impl_->changed.notify_all();
  impl_->acceptor.join();
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->changed.wait(lock, [&] { return impl_->active == 0; });
}

int HttpServer::port() const { return impl_->listener.port(); }

}  // namespace neuropart
