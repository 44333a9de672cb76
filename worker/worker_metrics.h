// WorkerMetrics: one worker's Prometheus metrics (served as text by StatusServer's /metrics).
//
// The transport reports every message it sends, receives and drops; the executor reports step
// timings (total, compute, waiting for peers) and checkpoint durations. Metric names:
//   neuropart_messages_sent_total{peer}      neuropart_bytes_sent_total{peer}
//   neuropart_messages_received_total{peer}  neuropart_bytes_received_total{peer}
//   neuropart_ring_messages_sent_total{peer} (those of the sent that went by shared memory)
//   neuropart_messages_dropped_total{reason} (reason = wire::DropReasonName; all pre-created at 0)
//   neuropart_handshakes_refused_total       (CURVE peers whose key is not the job's)
//   neuropart_step_seconds, neuropart_step_compute_seconds, neuropart_step_wait_seconds,
//   neuropart_checkpoint_seconds (histograms)
// with peer = the partition number or "client", and a constant label partition = this worker.
// The series live in a core metrics::Registry (the prometheus-cpp adapter); StatusServer serves
// their text.
// All methods are thread-safe.
#ifndef NEUROPART_WORKER_WORKER_METRICS_H_
#define NEUROPART_WORKER_WORKER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "neuropart/status.h"
#include "neuropart/wire/codec.h"

namespace neuropart::worker {

// The `peer` of messages exchanged with a client rather than a partition.
inline constexpr int kClientPeer = -1;

struct WorkerMetricsOptions {
  int partition = 0;
};

class WorkerMetrics {
 public:
  static StatusOr<std::unique_ptr<WorkerMetrics>> Create(const WorkerMetricsOptions& options);
  ~WorkerMetrics();
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  void OnSent(int peer, uint64_t bytes);
  // A message counted by OnSent went through a shared-memory ring (shm_links.h).
  void OnSentThroughRing(int peer);
  void OnReceived(int peer, uint64_t bytes);
  void OnDropped(wire::DropReason reason);
  void OnHandshakeRefused();
  void ObserveStep(double total_seconds, double compute_seconds, double wait_seconds);
  void ObserveCheckpoint(double seconds);

  // Current values, for tests and logs.
  int64_t dropped(wire::DropReason reason) const;
  int64_t handshakes_refused() const;
  int64_t messages_sent(int peer) const;
  int64_t ring_messages_sent(int peer) const;
  int64_t bytes_sent(int peer) const;
  int64_t messages_received(int peer) const;
  int64_t bytes_received(int peer) const;
  // The Prometheus text exposition of every metric, as /metrics serves it.
  std::string Render() const;

 private:
  struct Impl;
  explicit WorkerMetrics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_WORKER_METRICS_H_
