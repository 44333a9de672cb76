#include "status_server.h"

#include <utility>

namespace neuropart::worker {
namespace {

// Compares in time independent of where the strings first differ, so the answer's timing says
// nothing about how much of a guess was right.
bool SameSecret(const std::string& a, const std::string& b) {
  unsigned char differ = a.size() != b.size();
  for (size_t i = 0; i < a.size(); ++i) differ |= a[i] ^ (i < b.size() ? b[i] : 0);
  return differ == 0;
}

HttpResponse Handle(const StatusServerOptions& o, const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/status" && o.board != nullptr && !o.status_token.empty() &&
      !SameSecret(request.authorization, "Bearer " + o.status_token)) {
    return {401, "text/plain", "GET /status needs the job's token: Authorization: Bearer ...\n"};
  }
  if (path == "/status" && o.board != nullptr) {
    return {200, "application/json", JobStatusToJson(o.board->Get())};
  }
  if (path == "/metrics" && o.metrics) return {200, "text/plain; version=0.0.4", o.metrics()};
  if (path == "/healthz") return {200, "text/plain", "ok"};
  if (path == "/readyz" && o.board != nullptr) {
    // Ready once the weights are loaded and the session runs (a Service sends requests only
    // then); not while starting, and not after a failure.
    const JobPhase phase = o.board->Get().phase;
    const bool ready = phase != JobPhase::kStarting && phase != JobPhase::kFailed;
    return {ready ? 200 : 503, "text/plain",
            ready ? "ready" : "not ready: " + std::string(JobPhaseName(phase))};
  }
  return {404, "text/plain", "not found"};
}

}  // namespace

struct StatusServer::Impl {
  StatusServerOptions options;  // the handler reads it
  std::unique_ptr<HttpServer> server;
};

StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(const StatusServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const StatusServerOptions* served = &impl->options;
  HttpServerOptions http;
  http.address = options.address;
  http.listen_fd = options.listen_fd;
  ASSIGN_OR_RETURN(impl->server,
                   HttpServer::Start(http, [served](const HttpRequest& r) {
                     return Handle(*served, r);
                   }));
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(impl)));
}

StatusServer::StatusServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusServer::~StatusServer() = default;

int StatusServer::port() const { return impl_->server->port(); }

}  // namespace neuropart::worker
