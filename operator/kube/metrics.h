// OperatorMetrics: the operator's Prometheus metrics, served on /metrics by prometheus-cpp
// (kept out of this header; metrics.cc is its adapter).
//
//   neuropart_operator_reconcile_total{result="ok|error"}
//   neuropart_operator_reconcile_duration_seconds (histogram)
//   neuropart_operator_actions_total{kind,action,outcome}
//   neuropart_operator_relists_total{kind}
//   neuropart_operator_queue_depth, neuropart_operator_leader (gauges)
// Thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_METRICS_H_
#define NEUROPART_OPERATOR_KUBE_METRICS_H_

#include <memory>
#include <string>

#include "neuropart/status.h"

namespace neuropart::op {

class OperatorMetrics {
 public:
  OperatorMetrics();
  ~OperatorMetrics();

  void ReconcileDone(bool ok, double seconds);
  void ActionApplied(const std::string& kind, const std::string& action,
                     const std::string& outcome);
  void Relisted(const std::string& kind);
  void SetQueueDepth(double depth);
  void SetLeader(bool leader);

  // Serves /metrics on `address` ("host:port" or ":port"). Unavailable if it cannot listen.
  Status Serve(const std::string& address);
  // The exposition text (what /metrics answers), for tests.
  std::string Text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_METRICS_H_
