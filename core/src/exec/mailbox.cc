#include "neuropart/exec/mailbox.h"

#include "neuropart/wire/payloads.h"

namespace neuropart {

std::string MessageKey::ToString() const {
  return std::string(wire::MsgTypeName(type)) + " from partition " + std::to_string(source) +
         " (step " + std::to_string(step) + ", micro-batch " + std::to_string(micro_batch) +
         ", layer " + std::to_string(layer) + ", " + std::string(wire::PhaseName(phase)) + ")";
}

StatusOr<Message> Mailbox::Await(const MessageKey& key, std::chrono::milliseconds timeout) {
  const bool joining = !heard_.contains(key.source) && rendezvous_timeout_ > timeout;
  if (joining) timeout = rendezvous_timeout_;
  ASSIGN_OR_RETURN(std::optional<Message> m,
                   Take([&key](const MessageKey& k) { return k == key; }, timeout));
  if (!m && joining) {
    return UnavailableError("partition " + std::to_string(key.source) + " did not join within " +
                            std::to_string(timeout.count() / 1000) +
                            " s (transport.rendezvousTimeoutSeconds) waiting for " + key.ToString());
  }
  if (!m) {
    return UnavailableError("timed out after " + std::to_string(timeout.count()) +
                            " ms waiting for " + key.ToString());
  }
  return std::move(*m);
}

StatusOr<std::optional<Message>> Mailbox::Next(wire::MsgType type, uint32_t source,
                                               std::chrono::milliseconds timeout) {
  return Take([&](const MessageKey& k) { return k.type == type && k.source == source; }, timeout);
}

StatusOr<std::optional<Message>> Mailbox::Take(const std::function<bool(const MessageKey&)>& wanted,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Keys sort by (type, source, step, ...): the first match is the oldest.
    for (auto it = buffered_.begin(); it != buffered_.end(); ++it) {
      if (!wanted(it->first)) continue;
      Message m = std::move(it->second);
      buffered_.erase(it);
      return std::optional<Message>(std::move(m));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<Message>();
    ASSIGN_OR_RETURN(std::optional<Message> m, transport_->Receive(left));
    if (!m) continue;
    heard_.insert(m->header.source);
    if (m->header.type == wire::MsgType::kAbort) {
      StatusOr<wire::AbortPayload> abort = wire::DecodeAbort(m->payload);
      const std::string why = abort.ok() ? abort->message : "(unreadable reason)";
      const std::string who = "partition " + std::to_string(m->header.source);
      // A peer stopped on request stops this partition too, and neither failed.
      if (abort.ok() && abort->code == static_cast<uint32_t>(StatusCode::kCancelled)) {
        return CancelledError(who + " was stopped: " + why);
      }
      return UnavailableError(who + " aborted the job: " + why);
    }
    if (m->header.type == wire::MsgType::kHeartbeat || m->header.type == wire::MsgType::kHello) {
      continue;
    }
    const MessageKey got = MessageKey::Of(m->header);
    if (!buffered_.emplace(got, std::move(*m)).second) ++duplicates_;
  }
}

void Mailbox::DiscardBefore(uint64_t step) {
  for (auto it = buffered_.begin(); it != buffered_.end();) {
    it = it->first.step < step ? buffered_.erase(it) : std::next(it);
  }
}

}  // namespace neuropart
