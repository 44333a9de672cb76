// InboundFilter: the admission rules of a worker's inbound socket, without the socket.
//
// Every multipart message the ZeroMQ ROUTER receives arrives with the routing id of the
// connection ("link") it came on. The filter decides whether the message is delivered to the
// executor, consumed (a HELLO), or dropped, and for a drop gives the wire::DropReason to count and
// a Status saying what was wrong. The rules, in order:
//   1. frame 0 must decode (wire::DecodeHeader with the receiver's DecodeLimits);
//   2. an INFER_REQUEST whose source is kClientSource is a client request: it may come from any
//      link; it must match the plan, be addressed here and be well formed; the filter remembers
//      its link under the request id (the header's step) so the reply can find the client;
//   3. every other message must pass wire::ValidateMessage for this partition (plan, destination,
//      source < P, step >= min_step);
//   4. a HELLO must describe its header, carry this plan's partition count and start step, and
//      binds its link to its source partition (a later HELLO for the same partition rebinds it);
//   5. any other partition message must come on the link bound to its source by a HELLO: a link
//      that never said HELLO, or that speaks for another partition, is kUnknownSource;
//   6. when the links are authenticated (CURVE), every message comes with its sender's key owner
//      (job_keys.h): a partition's message must come with that partition's key and a client
//      request with the client key, else kUnknownSource — checked before rules 2–5, so a HELLO
//      cannot bind or rebind a partition to a key that is not that partition's.
// A message from a shared-memory ring (shm_links.h) comes from the one partition that holds the
// ring's producer end, which the launcher handed to it alone: AdmitFromPartitionLink applies rule
// 1 and 3 and requires the header's source to be that partition (a HELLO is never sent there).
// State is bounded: at most one link per partition and max_pending_requests client requests.
// Not thread-safe: owned by the transport's thread.
#ifndef NEUROPART_WORKER_INBOUND_FILTER_H_
#define NEUROPART_WORKER_INBOUND_FILTER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/status.h"
#include "neuropart/wire/codec.h"
#include "neuropart/wire/protocol.h"

namespace neuropart::worker {

using wire::kClientSource;

struct InboundFilterOptions {
  uint64_t plan_hash = 0;
  uint32_t self = 0;
  uint32_t num_partitions = 1;
  uint64_t start_step = 0;  // every peer's HELLO must carry this start step
  uint64_t max_payload_bytes = wire::kMaxPayloadBytes;
  size_t max_pending_requests = 1024;  // client requests awaiting a reply
  bool authenticated = false;          // CURVE links: rule 6 applies
};

struct InboundVerdict {
  enum class Action { kDeliver, kConsumedHello, kDrop };
  Action action = Action::kDrop;
  wire::DropReason reason = wire::DropReason::kNone;  // set when action == kDrop
  Status status;                                       // why it was dropped
  wire::MessageHeader header;                          // valid unless dropped
};

class InboundFilter {
 public:
  explicit InboundFilter(const InboundFilterOptions& options);

  // `frames` are the message's frames after the routing id; `key_owner` is the name its link's
  // key was admitted under (empty on an unauthenticated link).
  InboundVerdict Admit(std::string_view link, std::span<const std::string_view> frames,
                       std::string_view key_owner = {});

  // A message that came on `source`'s own shared-memory ring.
  InboundVerdict AdmitFromPartitionLink(uint32_t source, std::span<const std::string_view> frames);

  // Step-bound partition messages of steps below `step` are dropped as kStale from now on.
  void SetMinStep(uint64_t step) { min_step_ = step; }
  uint64_t min_step() const { return min_step_; }

  // True once `partition` has said a valid HELLO.
  bool greeted(uint32_t partition) const;

  // The link of pending client request `request_id`, forgotten as it is returned.
  // NotFound if no such request is pending.
  StatusOr<std::string> TakeClientLink(uint64_t request_id);
  size_t pending_requests() const { return pending_.size(); }

 private:
  // Rule 1 (frame 0 decodes) and rule 3 (a partition message for this partition); each a drop,
  // or a delivery holding the header.
  InboundVerdict Decode(std::span<const std::string_view> frames) const;
  InboundVerdict Validate(const wire::MessageHeader& header,
                          std::span<const std::string_view> payload_frames) const;
  InboundVerdict AdmitClientRequest(std::string_view link, const wire::MessageHeader& header,
                                    std::span<const std::string_view> payload_frames);
  InboundVerdict AdmitHello(std::string_view link, const wire::MessageHeader& header,
                            std::string_view payload);
  InboundVerdict CheckKey(const wire::MessageHeader& header, std::string_view key_owner) const;
  InboundVerdict CheckLink(std::string_view link, const wire::MessageHeader& header) const;

  InboundFilterOptions options_;
  uint64_t min_step_;
  std::vector<std::optional<std::string>> partition_link_;  // set by the partition's HELLO
  std::map<uint64_t, std::string> pending_;  // request id -> client link
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_INBOUND_FILTER_H_
