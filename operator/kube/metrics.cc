// The prometheus-cpp adapter: its exceptions (an Exposer that cannot bind) end here.
#include "kube/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>

namespace neuropart::op {

struct OperatorMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& reconciles =
      prometheus::BuildCounter()
          .Name("neuropart_operator_reconcile_total")
          .Help("Reconciles of NeuralPartitions, by result.")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& durations =
      prometheus::BuildHistogram()
          .Name("neuropart_operator_reconcile_duration_seconds")
          .Help("Time to observe, reconcile and apply one NeuralPartition.")
          .Register(*registry);
  prometheus::Histogram& duration = durations.Add(
      {}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5});
  prometheus::Family<prometheus::Counter>& actions =
      prometheus::BuildCounter()
          .Name("neuropart_operator_actions_total")
          .Help("Actions applied to the API server, by kind, action and outcome.")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& relists =
      prometheus::BuildCounter()
          .Name("neuropart_operator_relists_total")
          .Help("Full re-lists of a watched kind (startup, 410 Gone, errors).")
          .Register(*registry);
  prometheus::Gauge& queue_depth = prometheus::BuildGauge()
                                       .Name("neuropart_operator_queue_depth")
                                       .Help("Keys waiting in the work queue.")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Gauge& leader = prometheus::BuildGauge()
                                  .Name("neuropart_operator_leader")
                                  .Help("1 while this replica holds the leader Lease.")
                                  .Register(*registry)
                                  .Add({});
  std::unique_ptr<prometheus::Exposer> exposer;
};

OperatorMetrics::OperatorMetrics() : impl_(std::make_unique<Impl>()) {}
OperatorMetrics::~OperatorMetrics() = default;

void OperatorMetrics::ReconcileDone(bool ok, double seconds) {
  impl_->reconciles.Add({{"result", ok ? "ok" : "error"}}).Increment();
  impl_->duration.Observe(seconds);
}

void OperatorMetrics::ActionApplied(const std::string& kind, const std::string& action,
                                    const std::string& outcome) {
  impl_->actions.Add({{"kind", kind}, {"action", action}, {"outcome", outcome}}).Increment();
}

void OperatorMetrics::Relisted(const std::string& kind) {
  impl_->relists.Add({{"kind", kind}}).Increment();
}

void OperatorMetrics::SetQueueDepth(double depth) { impl_->queue_depth.Set(depth); }
void OperatorMetrics::SetLeader(bool leader) { impl_->leader.Set(leader ? 1 : 0); }

Status OperatorMetrics::Serve(const std::string& address) {
  const std::string bind = !address.empty() && address[0] == ':' ? "0.0.0.0" + address : address;
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(bind);
    impl_->exposer->RegisterCollectable(impl_->registry);
  } catch (const std::exception& e) {
    return UnavailableError("metrics: cannot listen on " + bind + ": " + e.what());
  }
  return Status::Ok();
}

std::string OperatorMetrics::Text() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace neuropart::op
