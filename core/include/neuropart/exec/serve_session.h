// ServeSession: one partition's share of serving a model — inference requests, no training.
//
// Every partition loads its rows like a training run would resume (LATEST checkpoint, else the
// weights file, else the seed). A client sends INFER_REQUEST (input rows [B, inputSize], fp32) to
// the coordinator; the coordinator gives it a fresh id, forwards the rows to every other partition
// as INFER_REQUEST, and all of them run the forward pass together (PartitionExecutor::Infer);
// the coordinator answers INFER_RESPONSE with the outputs [B, outputs] (probabilities for a
// softmax layer). A request of the wrong shape or dtype is refused with an ABORT reply that says
// why, and serving goes on. Requests are served one at a time, in arrival order.
// Not thread-safe; one session per partition.
#ifndef NEUROPART_EXEC_SERVE_SESSION_H_
#define NEUROPART_EXEC_SERVE_SESSION_H_

#include <functional>
#include <string>

#include "neuropart/exec/partition_executor.h"
#include "neuropart/job/job_spec.h"

namespace neuropart {

struct ServeConfig {
  const JobSpec* spec = nullptr;
  const Plan* plan = nullptr;
  std::string store;
  ExecutorOptions exec;  // exec.partition is this partition
  // Coordinator only: answers a client's request on the link it came from.
  std::function<Status(const wire::MessageHeader& request, Message reply)> reply;
  // Polled between requests (at least every 100 ms); the session returns OK once it is true.
  std::function<bool()> stop;
  // Once the weights are loaded: from which checkpoint step (0: weights file or seed).
  std::function<void(int64_t start_step)> on_ready;
  // Coordinator only, after each answered request. May be empty.
  std::function<void(int64_t rows, double seconds)> on_request;
};

struct ServeOutcome {
  int64_t requests = 0;  // answered (coordinator) or joined (others)
  int64_t refused = 0;   // coordinator only
};

StatusOr<ServeOutcome> RunServeSession(const ServeConfig& config, Transport* transport);

}  // namespace neuropart

#endif  // NEUROPART_EXEC_SERVE_SESSION_H_
