// HealthServer: /healthz (the process is alive: always 200) and /readyz (200 when `ready()` says
// so, else 503), for the kubelet's probes. cpprestsdk's listener is kept in health_server.cc.
// Start and the destructor are called from one thread; `ready` is called on the server's threads.
#ifndef NEUROPART_OPERATOR_KUBE_HEALTH_SERVER_H_
#define NEUROPART_OPERATOR_KUBE_HEALTH_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "neuropart/status.h"

namespace neuropart::op {

class HealthServer {
 public:
  // `address` is "host:port" or ":port". Unavailable if it cannot listen.
  static StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address,
                                                       std::function<bool()> ready);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

 private:
  struct Impl;
  explicit HealthServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_HEALTH_SERVER_H_
