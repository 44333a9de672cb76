#include "worker_metrics.h"

#include <utility>
#include <vector>

#include "neuropart/metrics/registry.h"

namespace neuropart::worker {
namespace {

using metrics::Labels;

std::string PeerLabel(int peer) { return peer == kClientPeer ? "client" : std::to_string(peer); }

// 1 ms .. ~65 s, doubling: covers a tiny test step and a large checkpoint on NFS.
std::vector<double> SecondsBuckets() {
  std::vector<double> b;
  for (double s = 0.001; s < 100; s *= 2) b.push_back(s);
  return b;
}

constexpr char kSentMessages[] = "neuropart_messages_sent_total";
constexpr char kRingMessages[] = "neuropart_ring_messages_sent_total";
constexpr char kSentBytes[] = "neuropart_bytes_sent_total";
constexpr char kReceivedMessages[] = "neuropart_messages_received_total";
constexpr char kReceivedBytes[] = "neuropart_bytes_received_total";
constexpr char kDropped[] = "neuropart_messages_dropped_total";
constexpr char kRefused[] = "neuropart_handshakes_refused_total";

Labels ReasonLabel(wire::DropReason reason) {
  return {{"reason", std::string(wire::DropReasonName(reason))}};
}

}  // namespace

struct WorkerMetrics::Impl {
  explicit Impl(int partition) : registry(Labels{{"partition", std::to_string(partition)}}) {
    registry.DeclareCounter(kSentMessages, "Messages sent, by peer");
    registry.DeclareCounter(kRingMessages, "Of the messages sent, those through shared memory");
    registry.DeclareCounter(kSentBytes, "Bytes sent (header + payload), by peer");
    registry.DeclareCounter(kReceivedMessages, "Messages admitted, by peer");
    registry.DeclareCounter(kReceivedBytes, "Bytes admitted (header + payload), by peer");
    registry.DeclareCounter(kDropped, "Inbound messages dropped, by reason");
    registry.DeclareCounter(kRefused, "Inbound connections refused: key not in this job");
    registry.GetCounter(kRefused);
    for (size_t r = 1; r < wire::kDropReasonCount; ++r) {
      registry.GetCounter(kDropped, ReasonLabel(static_cast<wire::DropReason>(r)));
    }
  }

  metrics::Histogram Seconds(const std::string& name, const std::string& help) {
    registry.DeclareHistogram(name, help, SecondsBuckets());
    return registry.GetHistogram(name);
  }

  metrics::Registry registry;
  metrics::Histogram step = Seconds("neuropart_step_seconds", "Wall time of a training step");
  metrics::Histogram compute =
      Seconds("neuropart_step_compute_seconds", "Time of a step spent computing");
  metrics::Histogram wait =
      Seconds("neuropart_step_wait_seconds", "Time of a step spent waiting for peers");
  metrics::Histogram checkpoint =
      Seconds("neuropart_checkpoint_seconds", "Time to write and sync a shard");
};

StatusOr<std::unique_ptr<WorkerMetrics>> WorkerMetrics::Create(
    const WorkerMetricsOptions& options) {
  auto impl = std::make_unique<Impl>(options.partition);
  return std::unique_ptr<WorkerMetrics>(new WorkerMetrics(std::move(impl)));
}

WorkerMetrics::WorkerMetrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorkerMetrics::~WorkerMetrics() = default;

void WorkerMetrics::OnSent(int peer, uint64_t bytes) {
  const Labels labels{{"peer", PeerLabel(peer)}};
  impl_->registry.GetCounter(kSentMessages, labels).Increment();
  impl_->registry.GetCounter(kSentBytes, labels).Increment(static_cast<double>(bytes));
}

void WorkerMetrics::OnSentThroughRing(int peer) {
  impl_->registry.GetCounter(kRingMessages, Labels{{"peer", PeerLabel(peer)}}).Increment();
}

void WorkerMetrics::OnReceived(int peer, uint64_t bytes) {
  const Labels labels{{"peer", PeerLabel(peer)}};
  impl_->registry.GetCounter(kReceivedMessages, labels).Increment();
  impl_->registry.GetCounter(kReceivedBytes, labels).Increment(static_cast<double>(bytes));
}

void WorkerMetrics::OnDropped(wire::DropReason reason) {
  impl_->registry.GetCounter(kDropped, ReasonLabel(reason)).Increment();
}

void WorkerMetrics::OnHandshakeRefused() { impl_->registry.GetCounter(kRefused).Increment(); }

void WorkerMetrics::ObserveStep(double total_seconds, double compute_seconds,
                                double wait_seconds) {
  impl_->step.Observe(total_seconds);
  impl_->compute.Observe(compute_seconds);
  impl_->wait.Observe(wait_seconds);
}

void WorkerMetrics::ObserveCheckpoint(double seconds) { impl_->checkpoint.Observe(seconds); }

int64_t WorkerMetrics::dropped(wire::DropReason reason) const {
  return static_cast<int64_t>(impl_->registry.CounterValue(kDropped, ReasonLabel(reason)));
}
int64_t WorkerMetrics::handshakes_refused() const {
  return static_cast<int64_t>(impl_->registry.CounterValue(kRefused, {}));
}
int64_t WorkerMetrics::messages_sent(int peer) const {
  return static_cast<int64_t>(impl_->registry.CounterValue(kSentMessages, {{"peer", PeerLabel(peer)}}));
}
int64_t WorkerMetrics::ring_messages_sent(int peer) const {
  return static_cast<int64_t>(
      impl_->registry.CounterValue(kRingMessages, {{"peer", PeerLabel(peer)}}));
}
int64_t WorkerMetrics::bytes_sent(int peer) const {
  return static_cast<int64_t>(impl_->registry.CounterValue(kSentBytes, {{"peer", PeerLabel(peer)}}));
}
int64_t WorkerMetrics::messages_received(int peer) const {
  return static_cast<int64_t>(
      impl_->registry.CounterValue(kReceivedMessages, {{"peer", PeerLabel(peer)}}));
}
int64_t WorkerMetrics::bytes_received(int peer) const {
  return static_cast<int64_t>(
      impl_->registry.CounterValue(kReceivedBytes, {{"peer", PeerLabel(peer)}}));
}

std::string WorkerMetrics::Render() const { return impl_->registry.Text(); }

}  // namespace neuropart::worker
