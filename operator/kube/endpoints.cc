#include "kube/endpoints.h"

#include <utility>

namespace neuropart::op {

HttpHandler HealthHandler(std::function<bool()> ready) {
  return [ready = std::move(ready)](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/healthz") return {200, "text/plain", "ok"};
    if (r.path == "/readyz") {
      const bool ok = ready();
      return {ok ? 200 : 503, "text/plain", ok ? "ok" : "not ready"};
    }
    return {404, "text/plain", "not found"};
  };
}

HttpHandler MetricsHandler(const OperatorMetrics* metrics) {
  return [metrics](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/metrics") return {200, "text/plain; version=0.0.4", metrics->Text()};
    return {404, "text/plain", "not found"};
  };
}

}  // namespace neuropart::op
