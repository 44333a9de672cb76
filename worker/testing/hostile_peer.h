// Test tools: a raw ZeroMQ peer and the hostile messages it sends to a worker.
//
// RawPeer is a bare DEALER that sends whatever frames it is given and reads what comes back; the
// transport tests use it as a hostile peer and as a serving client, and the neuropart-hostile-peer
// tool (hostile_peer_main.cc) uses it against a running worker. Its socket is zmq_socket.h's, set
// up like every link of the product. Test code only.
// A RawPeer is used from one thread.
#ifndef NEUROPART_WORKER_TESTING_HOSTILE_PEER_H_
#define NEUROPART_WORKER_TESTING_HOSTILE_PEER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/exec/transport.h"
#include "neuropart/status.h"
#include "neuropart/wire/codec.h"
#include "zmq_socket.h"

namespace neuropart::worker {

class RawPeer {
 public:
  // Connects a DEALER to `endpoint`; close waits at most `linger` for unsent frames.
  // With `curve`, the DEALER is a CURVE client with those keys.
  static StatusOr<std::unique_ptr<RawPeer>> Connect(const std::string& endpoint,
                                                    std::chrono::milliseconds linger,
                                                    std::optional<CurveOptions> curve = {});
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  Status SendFrames(const std::vector<std::string>& frames);
  // The next multipart message, or nullopt after `timeout`.
  StatusOr<std::optional<std::vector<std::string>>> ReceiveFrames(
      std::chrono::milliseconds timeout);

 private:
  RawPeer() = default;
  ZmqContext context_;  // declared first: destroyed after the socket
  std::unique_ptr<ZmqSocket> socket_;
};

// The frames of a well-formed message: the encoded header, then the payload if the type has one.
std::vector<std::string> MessageFrames(const Message& message);

enum class Attack {
  kGarbage,           // bytes that are not a header              -> malformed
  kBadVersion,        // protocol version 99                      -> bad_version
  kUnknownType,       // message type 200                         -> unknown_type
  kHugeLength,        // 2^20 x 2^20 fp32 tensor, tiny frame     -> oversized
  kForeignPlan,       // another plan's hash                      -> foreign_plan
  kWrongDestination,  // addressed to another partition           -> wrong_destination
  kStale,             // a step below the receiver's current one  -> stale
  kUnknownSource,     // source partition outside the plan        -> unknown_source
  kNoHello,           // valid, but the link never said HELLO     -> unknown_source
  // Not in kAllAttacks: well-formed control messages that take over a partition on a link
  // without authentication. "hello" binds the link to the impersonated partition (start step
  // stale_step); "abort" then stops the job as that partition.
  kHello,
  kAbort,
};
inline constexpr Attack kAllAttacks[] = {
    Attack::kGarbage,     Attack::kBadVersion,       Attack::kUnknownType,
    Attack::kHugeLength,  Attack::kForeignPlan,      Attack::kWrongDestination,
    Attack::kStale,       Attack::kUnknownSource,    Attack::kNoHello};

struct AttackTarget {
  uint64_t plan_hash = 0;
  uint32_t target = 0;          // the partition attacked
  uint32_t num_partitions = 1;
  uint32_t impersonate = 0;     // the source partition the messages claim (not target)
  uint64_t step = 0;            // a step the target currently accepts
  uint64_t stale_step = 0;      // a step the target rejects as stale (< its min step)
};

std::string_view AttackName(Attack attack);  // "garbage", "huge_length", "no_hello", ...
StatusOr<Attack> ParseAttack(std::string_view name);
wire::DropReason ExpectedDrop(Attack attack);  // kNone for kHello and kAbort
// One ACTIVATIONS message (or garbage) built to trip exactly one check of the receiver.
std::vector<std::string> AttackFrames(Attack attack, const AttackTarget& target);

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_TESTING_HOSTILE_PEER_H_
