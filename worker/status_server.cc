#include "status_server.h"

#include <utility>


namespace neuropart::worker {
namespace {

HttpResponse Handle(const StatusServerOptions& o, const HttpRequest& request) {
  const std::string& path = request.path;
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
