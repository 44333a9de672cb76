#include "inbound_filter.h"

#include <utility>

#include "job_keys.h"
#include "neuropart/wire/payloads.h"

namespace neuropart::worker {
namespace {

using wire::DropReason;
using wire::MessageHeader;

InboundVerdict Drop(DropReason reason, Status status) {
  InboundVerdict v;
  v.action = InboundVerdict::Action::kDrop;
  v.reason = reason;
  v.status = std::move(status);
  return v;
}

InboundVerdict Accept(InboundVerdict::Action action, const MessageHeader& header) {
  InboundVerdict v;
  v.action = action;
  v.header = header;
  return v;
}

std::string From(const MessageHeader& h) {
  return std::string(wire::MsgTypeName(h.type)) + " from partition " + std::to_string(h.source) +
         ": ";
}

}  // namespace

InboundFilter::InboundFilter(const InboundFilterOptions& options)
    : options_(options), min_step_(options.start_step), partition_link_(options.num_partitions) {}

bool InboundFilter::greeted(uint32_t partition) const {
  return partition < partition_link_.size() && partition_link_[partition].has_value();
}

InboundVerdict InboundFilter::Decode(std::span<const std::string_view> frames) const {
  if (frames.empty()) {
    return Drop(DropReason::kMalformed, CorruptionError("wire message has no frames"));
  }
  DropReason reason = DropReason::kNone;
  StatusOr<MessageHeader> header =
      wire::DecodeHeader(frames[0], wire::DecodeLimits{options_.max_payload_bytes}, &reason);
  if (!header.ok()) return Drop(reason, header.status());
  return Accept(InboundVerdict::Action::kDeliver, *header);
}

InboundVerdict InboundFilter::Validate(const MessageHeader& h,
                                       std::span<const std::string_view> payload_frames) const {
  const wire::Expectation expect{options_.plan_hash, options_.self, options_.num_partitions,
                                 min_step_};
  DropReason reason = DropReason::kNone;
  Status valid = wire::ValidateMessage(h, payload_frames, expect, &reason);
  if (!valid.ok()) return Drop(reason, valid);
  return Accept(InboundVerdict::Action::kDeliver, h);
}

InboundVerdict InboundFilter::Admit(std::string_view link,
                                    std::span<const std::string_view> frames,
                                    std::string_view key_owner) {
  const InboundVerdict decoded = Decode(frames);
  if (decoded.action == InboundVerdict::Action::kDrop) return decoded;
  const MessageHeader& h = decoded.header;
  if (options_.authenticated) {
    InboundVerdict keyed = CheckKey(h, key_owner);
    if (keyed.action == InboundVerdict::Action::kDrop) return keyed;
  }
  if (h.type == wire::MsgType::kInferRequest && h.source == kClientSource) {
    return AdmitClientRequest(link, h, frames.subspan(1));
  }
  const InboundVerdict valid = Validate(h, frames.subspan(1));
  if (valid.action == InboundVerdict::Action::kDrop) return valid;
  if (h.source == options_.self) {
    // Partitions never send themselves anything over the network: someone is impersonating us.
    return Drop(DropReason::kUnknownSource,
                InvalidArgumentError(From(h) + "claims to be this partition"));
  }
  if (h.type == wire::MsgType::kHello) return AdmitHello(link, h, frames[1]);
  return CheckLink(link, h);
}

InboundVerdict InboundFilter::AdmitFromPartitionLink(uint32_t source,
                                                     std::span<const std::string_view> frames) {
  const InboundVerdict decoded = Decode(frames);
  if (decoded.action == InboundVerdict::Action::kDrop) return decoded;
  const MessageHeader& h = decoded.header;
  const InboundVerdict valid = Validate(h, frames.subspan(1));
  if (valid.action == InboundVerdict::Action::kDrop) return valid;
  if (h.source != source || h.type == wire::MsgType::kHello) {
    return Drop(DropReason::kUnknownSource,
                InvalidArgumentError(From(h) + "came on partition " + std::to_string(source) +
                                     "'s shared-memory ring"));
  }
  return Accept(InboundVerdict::Action::kDeliver, h);
}

InboundVerdict InboundFilter::AdmitClientRequest(std::string_view link, const MessageHeader& h,
                                                 std::span<const std::string_view> payload_frames) {
  // Clients are not partitions, so the partition rules (source < P, min_step) do not apply:
  // validate the rest with a header whose source is a valid partition and no step floor.
  MessageHeader as_partition = h;
  as_partition.source = 0;
  const wire::Expectation expect{options_.plan_hash, options_.self, options_.num_partitions, 0};
  DropReason reason = DropReason::kNone;
  Status valid = wire::ValidateMessage(as_partition, payload_frames, expect, &reason);
  if (!valid.ok()) return Drop(reason, valid.WithContext("client request"));
  const std::string what = "client request " + std::to_string(h.step) + ": ";
  if (pending_.count(h.step) != 0) {
    return Drop(DropReason::kStale, InvalidArgumentError(what + "a request with this id is "
                                                                "already in flight"));
  }
  if (pending_.size() >= options_.max_pending_requests) {
    return Drop(DropReason::kOversized,
                UnavailableError(what + std::to_string(pending_.size()) +
                                 " requests already in flight, the limit"));
  }
  pending_.emplace(h.step, std::string(link));
  return Accept(InboundVerdict::Action::kDeliver, h);
}

InboundVerdict InboundFilter::AdmitHello(std::string_view link, const MessageHeader& h,
                                         std::string_view payload) {
  StatusOr<wire::HelloPayload> hello = wire::DecodeHello(payload);
  if (!hello.ok()) return Drop(DropReason::kMalformed, hello.status().WithContext(From(h)));
  Status matches = wire::CheckHelloMatchesHeader(*hello, h);
  if (!matches.ok()) return Drop(DropReason::kMalformed, matches.WithContext(From(h)));
  if (hello->num_partitions != options_.num_partitions) {
    return Drop(DropReason::kForeignPlan,
                InvalidArgumentError(From(h) + "plan of " + std::to_string(hello->num_partitions) +
                                     " partitions, this plan has " +
                                     std::to_string(options_.num_partitions)));
  }
  if (hello->start_step != options_.start_step) {
    return Drop(DropReason::kStale,
                InvalidArgumentError(From(h) + "starts at step " +
                                     std::to_string(hello->start_step) + ", this partition at " +
                                     std::to_string(options_.start_step)));
  }
  partition_link_[h.source] = std::string(link);
  return Accept(InboundVerdict::Action::kConsumedHello, h);
}

InboundVerdict InboundFilter::CheckKey(const MessageHeader& h, std::string_view key_owner) const {
  if (h.type == wire::MsgType::kInferRequest && h.source == kClientSource) {
    if (key_owner == kClientKeyOwner) return Accept(InboundVerdict::Action::kDeliver, h);
    return Drop(DropReason::kUnknownSource,
                InvalidArgumentError("client request " + std::to_string(h.step) +
                                     ": came with " + std::string(key_owner) +
                                     "'s key, not the client key"));
  }
  if (key_owner == PartitionKeyOwner(static_cast<int>(h.source))) {
    return Accept(InboundVerdict::Action::kDeliver, h);
  }
  return Drop(DropReason::kUnknownSource,
              InvalidArgumentError(From(h) + "came with " +
                                   (key_owner.empty() ? "no key" : std::string(key_owner) +
                                                                       "'s key")));
}

InboundVerdict InboundFilter::CheckLink(std::string_view link, const MessageHeader& h) const {
  const std::optional<std::string>& bound = partition_link_[h.source];
  if (!bound.has_value()) {
    return Drop(DropReason::kUnknownSource,
                InvalidArgumentError(From(h) + "partition has not said HELLO"));
  }
  if (*bound != link) {
    return Drop(DropReason::kUnknownSource,
                InvalidArgumentError(From(h) + "came on a link that did not say HELLO as it"));
  }
  return Accept(InboundVerdict::Action::kDeliver, h);
}

StatusOr<std::string> InboundFilter::TakeClientLink(uint64_t request_id) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) {
    return NotFoundError("no client request " + std::to_string(request_id) + " is pending");
  }
  std::string link = std::move(it->second);
  pending_.erase(it);
  return link;
}

}  // namespace neuropart::worker
