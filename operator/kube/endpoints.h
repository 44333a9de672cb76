// The operator's HTTP endpoints, as handlers for core's HttpServer (neuropart/http/http_server.h):
//   HealthHandler   /healthz (alive: always 200) and /readyz (200 when `ready()` says so, else
//                   503), for the kubelet's probes; `ready` runs on the server's threads.
//   MetricsHandler  /metrics, the Prometheus text exposition of OperatorMetrics.
// Anything else is 404. The handlers are thread-safe; what they capture must outlive the server.
#ifndef NEUROPART_OPERATOR_KUBE_ENDPOINTS_H_
#define NEUROPART_OPERATOR_KUBE_ENDPOINTS_H_

#include <functional>

#include "kube/metrics.h"
#include "neuropart/http/http_server.h"

namespace neuropart::op {

HttpHandler HealthHandler(std::function<bool()> ready);
HttpHandler MetricsHandler(const OperatorMetrics* metrics);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_ENDPOINTS_H_
