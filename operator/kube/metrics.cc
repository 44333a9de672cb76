// The prometheus-cpp adapter of the operator: the only operator file that includes it.
#include "kube/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>

namespace neuropart::op {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

Family<Counter>& CounterFamily(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
Family<Gauge>& GaugeFamily(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
Family<Histogram>& HistogramFamily(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

// controller-runtime's controller_runtime_reconcile_time_seconds buckets.
Histogram::BucketBoundaries ReconcileBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5,
          6,     7,    8,     9,    10,   15,  20,   25,  30,  40,  50,  60};
}

// client-go's workqueue buckets: prometheus.ExponentialBuckets(10e-9, 10, 12), 10 ns to 1000 s.
Histogram::BucketBoundaries QueueBuckets() {
  Histogram::BucketBoundaries b;
  for (double bound = 10e-9; b.size() < 12; bound *= 10) b.push_back(bound);
  return b;
}

prometheus::Labels ControllerLabel() { return {{"controller", kControllerName}}; }
// controller-runtime labels each workqueue series with both the queue's and the controller's name.
prometheus::Labels QueueLabels() {
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

struct OperatorMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  // controller-runtime's reconcile metrics.
  Family<Counter>& reconciles = CounterFamily(*registry, "controller_runtime_reconcile_total",
                                              "Total number of reconciliations per controller");
  Counter& reconcile_errors = CounterFamily(*registry, "controller_runtime_reconcile_errors_total",
                                            "Total number of reconciliation errors per controller")
                                  .Add(ControllerLabel());
  Histogram& reconcile_time =
      HistogramFamily(*registry, "controller_runtime_reconcile_time_seconds",
                      "Length of time per reconciliation per controller")
          .Add(ControllerLabel(), ReconcileBuckets());

  // client-go's workqueue metrics.
  Gauge& depth =
      GaugeFamily(*registry, "workqueue_depth", "Current depth of workqueue").Add(QueueLabels());
  Counter& adds =
      CounterFamily(*registry, "workqueue_adds_total", "Total number of adds handled by workqueue")
          .Add(QueueLabels());
  Histogram& queue_duration =
      HistogramFamily(*registry, "workqueue_queue_duration_seconds",
                      "How long in seconds an item stays in workqueue before being requested")
          .Add(QueueLabels(), QueueBuckets());
  Histogram& work_duration =
      HistogramFamily(*registry, "workqueue_work_duration_seconds",
                      "How long in seconds processing an item from workqueue takes.")
          .Add(QueueLabels(), QueueBuckets());
  Counter& retries = CounterFamily(*registry, "workqueue_retries_total",
                                   "Total number of retries handled by workqueue")
                         .Add(QueueLabels());
  Gauge& unfinished_work =
      GaugeFamily(*registry, "workqueue_unfinished_work_seconds",
                  "How many seconds of work has been done that is in progress and hasn't been "
                  "observed by work_duration. Large values indicate stuck threads. One can deduce "
                  "the number of stuck threads by observing the rate at which this increases.")
          .Add(QueueLabels());
  Gauge& longest_running =
      GaugeFamily(*registry, "workqueue_longest_running_processor_seconds",
                  "How many seconds has the longest running processor for workqueue been running.")
          .Add(QueueLabels());

  // The operator's own.
  Family<Counter>& actions =
      CounterFamily(*registry, "neuropart_operator_actions_total",
                    "Actions applied to the API server, by kind, action and outcome.");
  Family<Counter>& relists =
      CounterFamily(*registry, "neuropart_operator_relists_total",
                    "Full re-lists of a watched kind (startup, 410 Gone, errors).");
  Gauge& leader = GaugeFamily(*registry, "neuropart_operator_leader",
                              "1 while this replica holds the leader Lease.")
                      .Add({});

  Impl() {
    // As controller-runtime does: every result exists from the start, so rates and alerts on
    // errors see a zero rather than no series.
    for (ReconcileOutcome o : {ReconcileOutcome::kSuccess, ReconcileOutcome::kError,
                               ReconcileOutcome::kRequeue, ReconcileOutcome::kRequeueAfter}) {
      Result(o);
    }
  }

  Counter& Result(ReconcileOutcome o) {
    return reconciles.Add({{"controller", kControllerName}, {"result", ResultLabel(o)}});
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
  impl_->actions.Add({{"kind", kind}, {"action", action}, {"outcome", outcome}}).Increment();
}

void OperatorMetrics::Relisted(const std::string& kind) {
  impl_->relists.Add({{"kind", kind}}).Increment();
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

std::string OperatorMetrics::Text() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace neuropart::op
