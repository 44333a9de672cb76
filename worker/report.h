// Report lines a worker prints on stdout for its launcher (see neuropart/lifecycle/report_line.h):
// progress after each step, "checkpoint" when the coordinator has committed one, each partition's
// traffic and the coordinator's result at the end, and "serving" once a serve-mode coordinator
// takes requests. Each line is flushed at once. Call from the worker's main thread.
#ifndef NEUROPART_WORKER_REPORT_H_
#define NEUROPART_WORKER_REPORT_H_

#include <string>

#include "neuropart/exec/training_session.h"

namespace neuropart::worker {

void PrintProgress(const StepReport& report);
void PrintCheckpointCommitted(int64_t step);
// Returns the line it printed.
std::string PrintResult(const TrainingOutcome& outcome, double samples_per_second);

// Kubernetes keeps a container's last words: the kubelet provides a file at the container's
// terminationMessagePath (/dev/termination-log by default) and publishes what it holds in the
// pod's status once the container ends, which is how the operator learns the final loss and
// accuracy. Writes `text` there ($NEUROPART_TERMINATION_LOG overrides the path); outside a pod,
// where the default file does not exist, does nothing.
void WriteTerminationMessage(const std::string& text);
void PrintServing(const std::string& endpoint, int64_t start_step);

// What one partition sent per training step (checkpoint and evaluation traffic excluded, wire
// headers included), and its median step time.
struct TrafficReport {
  int partition = 0;
  int64_t steps = 0;
  int64_t bytes_sent = 0;
  int64_t messages_sent = 0;
  int64_t ring_messages_sent = 0;  // of messages_sent, those through shared memory
  double median_step_seconds = 0;
};
void PrintTraffic(const TrafficReport& traffic);

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_REPORT_H_
