// ServeClient: asks a serving job for outputs, the way `neuropart infer` does.
//
// A DEALER connected to the coordinator's endpoint sends INFER_REQUEST (input rows [B, inputs],
// fp32, source wire::kClientSource, the job's plan hash, a fresh request id) and waits for the
// INFER_RESPONSE with the same id. A refusal (ABORT reply) becomes InvalidArgument with the
// coordinator's reason; no answer within the timeout is Unavailable. Replies that fail the wire
// checks are skipped. The socket is set up by zmq_socket.h like every other link. One thread per
// client.
#ifndef NEUROPART_WORKER_SERVE_CLIENT_H_
#define NEUROPART_WORKER_SERVE_CLIENT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "job_keys.h"
#include "neuropart/model/parameters.h"
#include "neuropart/status.h"

namespace neuropart::worker {

class ServeClient {
 public:
  // With keys (the job's, read as the client: job_keys.h), the link is CURVE to the
  // coordinator's key; a job with encryption refuses a client without them.
  static StatusOr<std::unique_ptr<ServeClient>> Connect(const std::string& endpoint,
                                                        uint64_t plan_hash,
                                                        const std::optional<JobKeys>& keys = {});
  ~ServeClient();
  ServeClient(const ServeClient&) = delete;
  ServeClient& operator=(const ServeClient&) = delete;

  // The outputs for rows `x` [B, outputs] (probabilities for a softmax output layer).
  StatusOr<MatrixF> Infer(const MatrixF& x, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit ServeClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_SERVE_CLIENT_H_
