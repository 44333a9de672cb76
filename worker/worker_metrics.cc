#include "worker_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <utility>
#include <vector>

namespace neuropart::worker {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;

std::string PeerLabel(int peer) { return peer == kClientPeer ? "client" : std::to_string(peer); }

// 1 ms .. ~65 s, doubling: covers a tiny test step and a large checkpoint on NFS.
Histogram::BucketBoundaries SecondsBuckets() {
  Histogram::BucketBoundaries b;
  for (double s = 0.001; s < 100; s *= 2) b.push_back(s);
  return b;
}

int64_t ValueOf(const Family<Counter>& family, const prometheus::Labels& labels) {
  // Has() + Add() would create a series as a side effect of reading; collect instead.
  for (const prometheus::MetricFamily& mf : family.Collect()) {
    for (const prometheus::ClientMetric& m : mf.metric) {
      bool match = true;
      for (const auto& [name, value] : labels) {
        bool found = false;
        for (const prometheus::ClientMetric::Label& l : m.label) {
          found |= l.name == name && l.value == value;
        }
        match &= found;
      }
      if (match) return static_cast<int64_t>(m.counter.value);
    }
  }
  return 0;
}

}  // namespace

struct WorkerMetrics::Impl {
  explicit Impl(int partition)
      : registry(std::make_shared<prometheus::Registry>()),
        constant{{"partition", std::to_string(partition)}},
        sent_messages(Counters("neuropart_messages_sent_total", "Messages sent, by peer")),
        sent_bytes(
            Counters("neuropart_bytes_sent_total", "Bytes sent (header + payload), by peer")),
        received_messages(
            Counters("neuropart_messages_received_total", "Messages admitted, by peer")),
        received_bytes(Counters("neuropart_bytes_received_total",
                                "Bytes admitted (header + payload), by peer")),
        dropped(Counters("neuropart_messages_dropped_total",
                         "Inbound messages dropped, by reason")),
        step(Seconds("neuropart_step_seconds", "Wall time of a training step")),
        compute(Seconds("neuropart_step_compute_seconds", "Time of a step spent computing")),
        wait(Seconds("neuropart_step_wait_seconds", "Time of a step spent waiting for peers")),
        checkpoint(Seconds("neuropart_checkpoint_seconds", "Time to write and sync a shard")) {
    for (size_t r = 1; r < wire::kDropReasonCount; ++r) {
      const auto reason = static_cast<wire::DropReason>(r);
      dropped.Add({{"reason", std::string(wire::DropReasonName(reason))}});
    }
  }

  Family<Counter>& Counters(const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Labels(constant).Register(*registry);
  }
  Histogram& Seconds(const std::string& name, const std::string& help) {
    return prometheus::BuildHistogram()
        .Name(name)
        .Help(help)
        .Labels(constant)
        .Register(*registry)
        .Add({}, SecondsBuckets());
  }

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Labels constant;
  Family<Counter>& sent_messages;
  Family<Counter>& sent_bytes;
  Family<Counter>& received_messages;
  Family<Counter>& received_bytes;
  Family<Counter>& dropped;
  Histogram& step;
  Histogram& compute;
  Histogram& wait;
  Histogram& checkpoint;
};

StatusOr<std::unique_ptr<WorkerMetrics>> WorkerMetrics::Create(
    const WorkerMetricsOptions& options) {
  auto impl = std::make_unique<Impl>(options.partition);
  return std::unique_ptr<WorkerMetrics>(new WorkerMetrics(std::move(impl)));
}

WorkerMetrics::WorkerMetrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorkerMetrics::~WorkerMetrics() = default;

void WorkerMetrics::OnSent(int peer, uint64_t bytes) {
  const prometheus::Labels labels{{"peer", PeerLabel(peer)}};
  impl_->sent_messages.Add(labels).Increment();
  impl_->sent_bytes.Add(labels).Increment(static_cast<double>(bytes));
}

void WorkerMetrics::OnReceived(int peer, uint64_t bytes) {
  const prometheus::Labels labels{{"peer", PeerLabel(peer)}};
  impl_->received_messages.Add(labels).Increment();
  impl_->received_bytes.Add(labels).Increment(static_cast<double>(bytes));
}

void WorkerMetrics::OnDropped(wire::DropReason reason) {
  impl_->dropped.Add({{"reason", std::string(wire::DropReasonName(reason))}}).Increment();
}

void WorkerMetrics::ObserveStep(double total_seconds, double compute_seconds,
                                double wait_seconds) {
  impl_->step.Observe(total_seconds);
  impl_->compute.Observe(compute_seconds);
  impl_->wait.Observe(wait_seconds);
}

void WorkerMetrics::ObserveCheckpoint(double seconds) { impl_->checkpoint.Observe(seconds); }

int64_t WorkerMetrics::dropped(wire::DropReason reason) const {
  return ValueOf(impl_->dropped, {{"reason", std::string(wire::DropReasonName(reason))}});
}
int64_t WorkerMetrics::messages_sent(int peer) const {
  return ValueOf(impl_->sent_messages, {{"peer", PeerLabel(peer)}});
}
int64_t WorkerMetrics::bytes_sent(int peer) const {
  return ValueOf(impl_->sent_bytes, {{"peer", PeerLabel(peer)}});
}
int64_t WorkerMetrics::messages_received(int peer) const {
  return ValueOf(impl_->received_messages, {{"peer", PeerLabel(peer)}});
}
int64_t WorkerMetrics::bytes_received(int peer) const {
  return ValueOf(impl_->received_bytes, {{"peer", PeerLabel(peer)}});
}

std::string WorkerMetrics::Render() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace neuropart::worker
