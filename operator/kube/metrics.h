// OperatorMetrics: the operator's Prometheus metrics (kept in a core metrics::Registry), served on
// /metrics by endpoints.h's MetricsHandler. The reconcile and work queue series carry
// the names, labels and buckets of controller-runtime and client-go, so that dashboards and alerts
// written for controller-runtime operators work unchanged:
//
//   controller_runtime_reconcile_total{controller,result="success|error|requeue|requeue_after"}
//   controller_runtime_reconcile_errors_total{controller}
//   controller_runtime_reconcile_time_seconds{controller} (histogram)
//   workqueue_depth{name,controller}, workqueue_adds_total{name,controller}
//   workqueue_queue_duration_seconds{name,controller}, workqueue_work_duration_seconds{...}
//   workqueue_retries_total{...}, workqueue_unfinished_work_seconds{...},
//   workqueue_longest_running_processor_seconds{...}
// where controller and name are kControllerName. The operator's own:
//   neuropart_operator_actions_total{kind,action,outcome}
//   neuropart_operator_relists_total{kind}
//   neuropart_operator_leader (gauge)
// It is the WorkQueueObserver of the controller's queue. Thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_METRICS_H_
#define NEUROPART_OPERATOR_KUBE_METRICS_H_

#include <memory>
#include <string>

#include "kube/work_queue.h"
#include "neuropart/status.h"

namespace neuropart::op {

// The controller's name in the controller and name labels (controller-runtime's lowercase kind).
inline constexpr char kControllerName[] = "neuralpartition";

// controller-runtime's result label: an error; else a requeue after a delay; else a requeue;
// else success.
enum class ReconcileOutcome { kSuccess, kError, kRequeue, kRequeueAfter };

class OperatorMetrics final : public WorkQueueObserver {
 public:
  OperatorMetrics();
  ~OperatorMetrics() override;

  void ReconcileDone(ReconcileOutcome outcome, double seconds);
  void ActionApplied(const std::string& kind, const std::string& action,
                     const std::string& outcome);
  void Relisted(const std::string& kind);
  void SetLeader(bool leader);

  void QueueAdded(size_t depth) override;
  void QueueTaken(size_t depth, Seconds waited) override;
  void QueueDone(Seconds worked) override;
  void QueueRetried() override;
  void QueueUnfinishedWork(Seconds total, Seconds longest) override;

  // The exposition text (what /metrics answers; see endpoints.h).
  std::string Text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_METRICS_H_
