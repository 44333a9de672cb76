// The operator's series, in a core metrics::Registry (the prometheus-cpp adapter).
#include "kube/metrics.h"

#include "neuropart/metrics/registry.h"

namespace neuropart::op {
namespace {

using metrics::Labels;

// controller-runtime's controller_runtime_reconcile_time_seconds buckets.
std::vector<double> ReconcileBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5,
          6,     7,    8,     9,    10,   15,  20,   25,  30,  40,  50,  60};
}

// client-go's workqueue buckets: prometheus.ExponentialBuckets(10e-9, 10, 12), 10 ns to 1000 s.
std::vector<double> QueueBuckets() {
  std::vector<double> b;
  for (double bound = 10e-9; b.size() < 12; bound *= 10) b.push_back(bound);
  return b;
}

Labels ControllerLabel() { return {{"controller", kControllerName}}; }
// controller-runtime labels each workqueue series with both the queue's and the controller's name.
Labels QueueLabels() {
  return {{"name", kControllerName}, {"controller", kControllerName}};
}

const char* ResultLabel(ReconcileOutcome o) {
  switch (o) {
    case ReconcileOutcome::kSuccess:
      return "success";
    case ReconcileOutcome::kError:
      return "error";
    case ReconcileOutcome::kRequeue:
      return "requeue";
    case ReconcileOutcome::kRequeueAfter:
      return "requeue_after";
  }
  return "error";
}

}  // namespace

constexpr char kReconciles[] = "controller_runtime_reconcile_total";
constexpr char kActions[] = "neuropart_operator_actions_total";
constexpr char kRelists[] = "neuropart_operator_relists_total";

struct OperatorMetrics::Impl {
  metrics::Registry registry;

  metrics::Counter Counter(const char* name, const char* help, const Labels& labels) {
    registry.DeclareCounter(name, help);
    return registry.GetCounter(name, labels);
  }
  metrics::Gauge Gauge(const char* name, const char* help, const Labels& labels) {
    registry.DeclareGauge(name, help);
    return registry.GetGauge(name, labels);
  }
  metrics::Histogram Histogram(const char* name, const char* help, const Labels& labels,
                               std::vector<double> buckets) {
    registry.DeclareHistogram(name, help, std::move(buckets));
    return registry.GetHistogram(name, labels);
  }

  // controller-runtime's reconcile metrics.
  metrics::Counter reconcile_errors =
      Counter("controller_runtime_reconcile_errors_total",
              "Total number of reconciliation errors per controller", ControllerLabel());
  metrics::Histogram reconcile_time =
      Histogram("controller_runtime_reconcile_time_seconds",
                "Length of time per reconciliation per controller", ControllerLabel(),
                ReconcileBuckets());

  // client-go's workqueue metrics.
  metrics::Gauge depth = Gauge("workqueue_depth", "Current depth of workqueue", QueueLabels());
  metrics::Counter adds =
      Counter("workqueue_adds_total", "Total number of adds handled by workqueue", QueueLabels());
  metrics::Histogram queue_duration =
      Histogram("workqueue_queue_duration_seconds",
                "How long in seconds an item stays in workqueue before being requested",
                QueueLabels(), QueueBuckets());
  metrics::Histogram work_duration =
      Histogram("workqueue_work_duration_seconds",
                "How long in seconds processing an item from workqueue takes.", QueueLabels(),
                QueueBuckets());
  metrics::Counter retries = Counter("workqueue_retries_total",
                                     "Total number of retries handled by workqueue", QueueLabels());
  metrics::Gauge unfinished_work =
      Gauge("workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been "
            "observed by work_duration. Large values indicate stuck threads. One can deduce "
            "the number of stuck threads by observing the rate at which this increases.",
            QueueLabels());
  metrics::Gauge longest_running =
      Gauge("workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running.",
            QueueLabels());

  // The operator's own.
  metrics::Gauge leader =
      Gauge("neuropart_operator_leader", "1 while this replica holds the leader Lease.", {});

  Impl() {
    registry.DeclareCounter(kReconciles, "Total number of reconciliations per controller");
    registry.DeclareCounter(kActions,
                            "Actions applied to the API server, by kind, action and outcome.");
    registry.DeclareCounter(kRelists,
                            "Full re-lists of a watched kind (startup, 410 Gone, errors).");
    // As controller-runtime does: every result exists from the start, so rates and alerts on
    // errors see a zero rather than no series.
    for (ReconcileOutcome o : {ReconcileOutcome::kSuccess, ReconcileOutcome::kError,
                               ReconcileOutcome::kRequeue, ReconcileOutcome::kRequeueAfter}) {
      Result(o);
    }
  }

  metrics::Counter Result(ReconcileOutcome o) {
    return registry.GetCounter(kReconciles,
                               {{"controller", kControllerName}, {"result", ResultLabel(o)}});
  }
};

OperatorMetrics::OperatorMetrics() : impl_(std::make_unique<Impl>()) {}
OperatorMetrics::~OperatorMetrics() = default;

void OperatorMetrics::ReconcileDone(ReconcileOutcome outcome, double seconds) {
  impl_->Result(outcome).Increment();
  if (outcome == ReconcileOutcome::kError) impl_->reconcile_errors.Increment();
  impl_->reconcile_time.Observe(seconds);
}

void OperatorMetrics::ActionApplied(const std::string& kind, const std::string& action,
                                    const std::string& outcome) {
  impl_->registry.GetCounter(kActions, {{"kind", kind}, {"action", action}, {"outcome", outcome}})
      .Increment();
}

void OperatorMetrics::Relisted(const std::string& kind) {
  impl_->registry.GetCounter(kRelists, {{"kind", kind}}).Increment();
}

void OperatorMetrics::SetLeader(bool leader) { impl_->leader.Set(leader ? 1 : 0); }

void OperatorMetrics::QueueAdded(size_t depth) {
  impl_->adds.Increment();
  impl_->depth.Set(static_cast<double>(depth));
}

void OperatorMetrics::QueueTaken(size_t depth, Seconds waited) {
  impl_->depth.Set(static_cast<double>(depth));
  impl_->queue_duration.Observe(waited.count());
}

void OperatorMetrics::QueueDone(Seconds worked) { impl_->work_duration.Observe(worked.count()); }

void OperatorMetrics::QueueRetried() { impl_->retries.Increment(); }

void OperatorMetrics::QueueUnfinishedWork(Seconds total, Seconds longest) {
  impl_->unfinished_work.Set(total.count());
  impl_->longest_running.Set(longest.count());
}

std::string OperatorMetrics::Text() const { return impl_->registry.Text(); }

}  // namespace neuropart::op
