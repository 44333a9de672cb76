// Mailbox: waits for one specific message while buffering the others.
//
// Peers run ahead of each other (a fast partition may send step s+1's activations while this one
// is still in step s's backward pass), so a partition asks for exactly the message it needs, by
// key, and the mailbox keeps whatever else arrives until it is asked for. A wait that outlasts
// its timeout fails with Unavailable naming the message and the silent peer; an ABORT from any
// peer ends every wait with that peer's reason. A peer that has not been heard from yet is still
// starting (on a cluster, pods start minutes apart): waits for it get the rendezvous timeout
// instead, when that is longer. One owner thread; not synchronised.
#ifndef NEUROPART_EXEC_MAILBOX_H_
#define NEUROPART_EXEC_MAILBOX_H_

#include <chrono>
#include <compare>
#include <functional>
#include <map>
#include <set>

#include "neuropart/exec/transport.h"

namespace neuropart {

struct MessageKey {
  wire::MsgType type = wire::MsgType::kActivations;
  uint32_t source = 0;
  uint64_t step = 0;
  uint32_t micro_batch = 0;
  uint32_t layer = 0;
  wire::Phase phase = wire::Phase::kForward;

  auto operator<=>(const MessageKey&) const = default;
  static MessageKey Of(const wire::MessageHeader& h) {
    return {h.type, h.source, h.step, h.micro_batch, h.layer, h.phase};
  }
  std::string ToString() const;
};

class Mailbox {
 public:
  explicit Mailbox(Transport* transport,
                   std::chrono::milliseconds rendezvous_timeout = std::chrono::milliseconds(0))
      : transport_(transport), rendezvous_timeout_(rendezvous_timeout) {}

  StatusOr<Message> Await(const MessageKey& key, std::chrono::milliseconds timeout);
  // The oldest (lowest step) message of `type` from `source`, buffered or arriving within
  // `timeout`; nullopt if none did. Other messages are buffered as in Await; ABORT fails.
  StatusOr<std::optional<Message>> Next(wire::MsgType type, uint32_t source,
                                        std::chrono::milliseconds timeout);
  // Forgets buffered step-bound messages of steps before `step`.
  void DiscardBefore(uint64_t step);
  int64_t duplicates() const { return duplicates_; }
  size_t buffered() const { return buffered_.size(); }

 private:
  StatusOr<std::optional<Message>> Take(const std::function<bool(const MessageKey&)>& wanted,
                                        std::chrono::milliseconds timeout);

  Transport* transport_;
  std::chrono::milliseconds rendezvous_timeout_;
  std::set<uint32_t> heard_;  // sources a message has arrived from
  std::map<MessageKey, Message> buffered_;
  int64_t duplicates_ = 0;
};

}  // namespace neuropart

#endif  // NEUROPART_EXEC_MAILBOX_H_
