#include "status_server.h"

#include <arpa/inet.h>
#include <cpprest/http_listener.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <utility>

#include "neuropart/base/json.h"

namespace neuropart::worker {
namespace {

namespace http = web::http;
using http::experimental::listener::http_listener;

// A port the system considers free right now. cpprestsdk cannot report the port it bound for
// port 0, so the server asks the kernel first and retries if another process takes it meanwhile.
StatusOr<int> FreePort(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), "0", &hints, &found); rc != 0) {
    return InvalidArgumentError("status server host '" + host + "': " + gai_strerror(rc));
  }
  int port = -1;
  int fd = socket(found->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0) {
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      port = ntohs(bound.ss_family == AF_INET6
                       ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  if (port <= 0) return UnavailableError("status server: no free port on " + host);
  return port;
}

void Handle(const StatusServerOptions& o, http::http_request request) {
  const std::string path = request.relative_uri().path();
  if (path == "/status" && o.board != nullptr) {
    request.reply(http::status_codes::OK, StatusJson(o.board->Get()), "application/json");
  } else if (path == "/metrics" && o.metrics) {
    request.reply(http::status_codes::OK, o.metrics(), "text/plain; version=0.0.4");
  } else if (path == "/healthz") {
    request.reply(http::status_codes::OK, "ok", "text/plain");
  } else if (path == "/readyz" && o.board != nullptr) {
    // Ready once the weights are loaded and the session runs (a Service sends requests only
    // then); not while starting, and not after a failure.
    const std::string phase = o.board->Get().phase;
    const bool ready = phase != "Starting" && phase != "Failed";
    request.reply(ready ? http::status_codes::OK : http::status_codes::ServiceUnavailable,
                  ready ? "ready" : "not ready: " + phase, "text/plain");
  } else {
    request.reply(http::status_codes::NotFound, "not found", "text/plain");
  }
}

}  // namespace

std::string StatusJson(const JobStatus& s) {
  Json parts = Json::array();
  for (const auto& p : s.partitions) {
    parts.push_back(Json::object({{"partition", p.partition}, {"state", p.state}}));
  }
  // DumpJson writes NaN and infinite numbers (an unknown loss) as null.
  return DumpJson(Json::object({{"job", s.job},
                                {"phase", s.phase},
                                {"step", s.step},
                                {"totalSteps", s.total_steps},
                                {"epoch", s.epoch},
                                {"loss", s.loss},
                                {"accuracy", s.accuracy},
                                {"samplesPerSecond", s.samples_per_second},
                                {"lastCheckpoint", s.last_checkpoint},
                                {"partitions", std::move(parts)}}));
}

struct StatusServer::Impl {
  StatusServerOptions options;  // the handlers read it
  std::unique_ptr<http_listener> listener;
  int port = 0;
};

StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(const StatusServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const StatusServerOptions* served = &impl->options;
  const int attempts = options.port == 0 ? 5 : 1;
  std::string last_error;
  for (int i = 0; i < attempts; ++i) {
    int port = options.port;
    if (port == 0) {
      ASSIGN_OR_RETURN(port, FreePort(options.host));
    }
    const std::string uri = "http://" + options.host + ":" + std::to_string(port);
    try {
      auto listener = std::make_unique<http_listener>(uri);
      listener->support(http::methods::GET,
                        [served](http::http_request r) { Handle(*served, std::move(r)); });
      listener->open().wait();
      impl->listener = std::move(listener);
      impl->port = port;
      return std::unique_ptr<StatusServer>(new StatusServer(std::move(impl)));
    } catch (const std::exception& e) {
      last_error = uri + ": " + e.what();
    }
  }
  return UnavailableError("status server cannot listen on " + last_error);
}

StatusServer::StatusServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusServer::~StatusServer() {
  try {
    impl_->listener->close().wait();
  } catch (const std::exception&) {
    // Closing a listener whose socket already failed: nothing left to release.
  }
}

int StatusServer::port() const { return impl_->port; }

}  // namespace neuropart::worker
