#include "status_server.h"

#include <cpprest/json.h>

#include <cmath>
#include <utility>

namespace neuropart::worker {
namespace {

namespace json = web::json;

json::value Number(double v) { return std::isfinite(v) ? json::value::number(v) : json::value(); }

HttpResponse Handle(const StatusServerOptions& o, const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/status" && o.board != nullptr) {
    return {200, "application/json", StatusJson(o.board->Get())};
  }
  if (path == "/metrics" && o.metrics) return {200, "text/plain; version=0.0.4", o.metrics()};
  if (path == "/healthz") return {200, "text/plain", "ok"};
  if (path == "/readyz" && o.board != nullptr) {
    // Ready once the weights are loaded and the session runs (a Service sends requests only
    // then); not while starting, and not after a failure.
    const std::string phase = o.board->Get().phase;
    const bool ready = phase != "Starting" && phase != "Failed";
    return {ready ? 200 : 503, "text/plain", ready ? "ready" : "not ready: " + phase};
  }
  return {404, "text/plain", "not found"};
}

}  // namespace

std::string StatusJson(const JobStatus& s) {
  json::value doc = json::value::object();
  doc["job"] = json::value::string(s.job);
  doc["phase"] = json::value::string(s.phase);
  doc["step"] = json::value::number(s.step);
  doc["totalSteps"] = json::value::number(s.total_steps);
  doc["epoch"] = json::value::number(s.epoch);
  doc["loss"] = Number(s.loss);
  doc["accuracy"] = Number(s.accuracy);
  doc["samplesPerSecond"] = Number(s.samples_per_second);
  doc["lastCheckpoint"] = json::value::number(s.last_checkpoint);
  json::value parts = json::value::array(s.partitions.size());
  for (size_t i = 0; i < s.partitions.size(); ++i) {
    json::value p = json::value::object();
    p["partition"] = json::value::number(s.partitions[i].partition);
    p["state"] = json::value::string(s.partitions[i].state);
    parts[i] = std::move(p);
  }
  doc["partitions"] = std::move(parts);
  return doc.serialize();
}

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
