#include "inbound_filter.h"

#include <gtest/gtest.h>

#include "testing/hostile_peer.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart::worker {
namespace {

using wire::DropReason;
using Action = InboundVerdict::Action;

constexpr uint64_t kPlan = 0xfeedface12345678ull;

InboundFilterOptions Options() {
  InboundFilterOptions o;
  o.plan_hash = kPlan;
  o.self = 0;
  o.num_partitions = 3;
  o.start_step = 10;
  o.max_payload_bytes = 1 << 20;
  o.max_pending_requests = 2;
  return o;
}

Message Hello(uint32_t from, uint64_t start_step = 10, uint32_t partitions = 3) {
  Message m;
  m.header.type = wire::MsgType::kHello;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = 0;
  m.header.step = start_step;
  m.payload = wire::EncodeHello({wire::kProtocolVersion, from, partitions, kPlan, start_step});
  m.header.payload_length = m.payload.size();
  return m;
}

Message Activations(uint32_t from, uint64_t step) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = 0;
  m.header.step = step;
  const float v[2] = {1, 2};
  EXPECT_TRUE(wire::SetTensorShape(1, 2, wire::DType::kF32, &m.header).ok());
  m.payload = wire::EncodeValues(v, 2, wire::DType::kF32);
  return m;
}

Message ClientRequest(uint64_t id) {
  Message m = Activations(kClientSource, id);
  m.header.type = wire::MsgType::kInferRequest;
  return m;
}

InboundVerdict AdmitFrames(InboundFilter& f, std::string_view link,
                           const std::vector<std::string>& frames) {
  std::vector<std::string_view> views(frames.begin(), frames.end());
  return f.Admit(link, views);
}

InboundVerdict AdmitMessage(InboundFilter& f, std::string_view link, const Message& m) {
  return AdmitFrames(f, link, MessageFrames(m));
}

// As a CURVE link delivers it: with the name the ZAP handler gave the sender's key.
InboundVerdict AdmitKeyed(InboundFilter& f, std::string_view link, const Message& m,
                          std::string_view key_owner) {
  const std::vector<std::string> frames = MessageFrames(m);
  std::vector<std::string_view> views(frames.begin(), frames.end());
  return f.Admit(link, views, key_owner);
}

InboundFilterOptions Authenticated() {
  InboundFilterOptions o = Options();
  o.authenticated = true;
  return o;
}

TEST(InboundFilter, AuthenticatedHelloGreetsWithItsOwnPartitionsKey) {
  InboundFilter f(Authenticated());
  InboundVerdict v = AdmitKeyed(f, "link-1", Hello(1), "partition-1");
  EXPECT_EQ(v.action, Action::kConsumedHello) << v.status.ToString();
  EXPECT_EQ(AdmitKeyed(f, "link-1", Activations(1, 10), "partition-1").action, Action::kDeliver);
}

TEST(InboundFilter, AuthenticatedHelloWithAnotherPartitionsKeyIsRefused) {
  InboundFilter f(Authenticated());
  InboundVerdict v = AdmitKeyed(f, "link-2", Hello(1), "partition-2");
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.reason, DropReason::kUnknownSource);
  EXPECT_EQ(v.status.message(),
            "HELLO from partition 1: came with partition-2's key");
  EXPECT_FALSE(f.greeted(1));
}

TEST(InboundFilter, AuthenticatedHelloCannotRebindAPartitionToTheClientKey) {
  InboundFilter f(Authenticated());
  ASSERT_EQ(AdmitKeyed(f, "real", Hello(1), "partition-1").action, Action::kConsumedHello);
  EXPECT_EQ(AdmitKeyed(f, "intruder", Hello(1), "client").reason, DropReason::kUnknownSource);
  EXPECT_EQ(AdmitKeyed(f, "intruder", Activations(1, 10), "client").reason,
            DropReason::kUnknownSource);
  EXPECT_EQ(AdmitKeyed(f, "real", Activations(1, 10), "partition-1").action, Action::kDeliver);
}

TEST(InboundFilter, AuthenticatedClientRequestNeedsTheClientKey) {
  InboundFilter f(Authenticated());
  InboundVerdict v = AdmitKeyed(f, "c", ClientRequest(7), "partition-1");
  EXPECT_EQ(v.reason, DropReason::kUnknownSource);
  EXPECT_EQ(v.status.message(), "client request 7: came with partition-1's key, not the client key");
  EXPECT_EQ(AdmitKeyed(f, "c", ClientRequest(7), "client").action, Action::kDeliver);
}

TEST(InboundFilter, AuthenticatedFilterDropsAMessageWithoutAKey) {
  InboundFilter f(Authenticated());
  InboundVerdict v = AdmitKeyed(f, "link-1", Hello(1), "");
  EXPECT_EQ(v.reason, DropReason::kUnknownSource);
  EXPECT_FALSE(f.greeted(1));
}

TEST(InboundFilter, HelloIsConsumedAndGreetsThePartition) {
  InboundFilter f(Options());
  EXPECT_FALSE(f.greeted(1));
  InboundVerdict v = AdmitMessage(f, "link-1", Hello(1));
  EXPECT_EQ(v.action, Action::kConsumedHello) << v.status.ToString();
  EXPECT_TRUE(f.greeted(1));
  EXPECT_FALSE(f.greeted(2));
}

TEST(InboundFilter, MessageOnTheGreetedLinkIsDelivered) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "link-1", Hello(1)).action, Action::kConsumedHello);
  InboundVerdict v = AdmitMessage(f, "link-1", Activations(1, 10));
  ASSERT_EQ(v.action, Action::kDeliver) << v.status.ToString();
  EXPECT_EQ(v.header.source, 1u);
  EXPECT_EQ(v.header.step, 10u);
}

TEST(InboundFilter, MessageBeforeHelloIsUnknownSource) {
  InboundFilter f(Options());
  InboundVerdict v = AdmitMessage(f, "link-1", Activations(1, 10));
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.reason, DropReason::kUnknownSource);
  EXPECT_NE(v.status.message().find("HELLO"), std::string::npos) << v.status.ToString();
}

TEST(InboundFilter, MessageClaimingAnotherLinksPartitionIsUnknownSource) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "link-1", Hello(1)).action, Action::kConsumedHello);
  ASSERT_EQ(AdmitMessage(f, "link-2", Hello(2)).action, Action::kConsumedHello);
  InboundVerdict v = AdmitMessage(f, "link-2", Activations(1, 10));
  EXPECT_EQ(v.reason, DropReason::kUnknownSource);
}

TEST(InboundFilter, NewHelloRebindsThePartitionToTheNewLink) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "old", Hello(1)).action, Action::kConsumedHello);
  ASSERT_EQ(AdmitMessage(f, "new", Hello(1)).action, Action::kConsumedHello);
  EXPECT_EQ(AdmitMessage(f, "new", Activations(1, 10)).action, Action::kDeliver);
  EXPECT_EQ(AdmitMessage(f, "old", Activations(1, 10)).reason, DropReason::kUnknownSource);
}

TEST(InboundFilter, HelloWithAnotherStartStepIsStaleAndDoesNotGreet) {
  InboundFilter f(Options());
  InboundVerdict v = AdmitMessage(f, "link-1", Hello(1, /*start_step=*/0));
  EXPECT_EQ(v.reason, DropReason::kStale);
  EXPECT_FALSE(f.greeted(1));
}

TEST(InboundFilter, HelloWithAnotherPartitionCountIsForeignPlan) {
  InboundFilter f(Options());
  EXPECT_EQ(AdmitMessage(f, "link-1", Hello(1, 10, /*partitions=*/4)).reason,
            DropReason::kForeignPlan);
  EXPECT_FALSE(f.greeted(1));
}

TEST(InboundFilter, HelloDisagreeingWithItsHeaderIsMalformed) {
  InboundFilter f(Options());
  Message m = Hello(1);
  m.header.source = 2;  // the payload says partition 1
  EXPECT_EQ(AdmitMessage(f, "link-2", m).reason, DropReason::kMalformed);
  EXPECT_FALSE(f.greeted(2));
}

TEST(InboundFilter, MessageClaimingToBeSelfIsUnknownSource) {
  InboundFilter f(Options());
  EXPECT_EQ(AdmitMessage(f, "link", Hello(0)).reason, DropReason::kUnknownSource);
}

TEST(InboundFilter, StepsBelowMinStepAreStaleOnceRaised) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "link-1", Hello(1)).action, Action::kConsumedHello);
  EXPECT_EQ(f.min_step(), 10u);  // starts at the start step
  EXPECT_EQ(AdmitMessage(f, "link-1", Activations(1, 9)).reason, DropReason::kStale);
  f.SetMinStep(12);
  EXPECT_EQ(AdmitMessage(f, "link-1", Activations(1, 11)).reason, DropReason::kStale);
  EXPECT_EQ(AdmitMessage(f, "link-1", Activations(1, 12)).action, Action::kDeliver);
}

TEST(InboundFilter, EveryHostileAttackIsDroppedWithItsReason) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "partition-1", Hello(1)).action, Action::kConsumedHello);
  f.SetMinStep(12);
  const AttackTarget target{kPlan, 0, 3, 1, 12, 11};
  for (Attack a : kAllAttacks) {
    InboundVerdict v = AdmitFrames(f, "hostile", AttackFrames(a, target));
    EXPECT_EQ(v.action, Action::kDrop) << AttackName(a);
    EXPECT_EQ(v.reason, ExpectedDrop(a)) << AttackName(a) << ": " << v.status.ToString();
    EXPECT_FALSE(v.status.ok()) << AttackName(a);
  }
}

TEST(InboundFilter, PayloadOverTheReceiversLimitIsOversized) {
  InboundFilterOptions o = Options();
  o.max_payload_bytes = 4;
  InboundFilter f(o);
  EXPECT_EQ(AdmitMessage(f, "link-1", Activations(1, 10)).reason, DropReason::kOversized);
}

TEST(InboundFilter, NoFramesIsMalformed) {
  InboundFilter f(Options());
  EXPECT_EQ(AdmitFrames(f, "link", {}).reason, DropReason::kMalformed);
}

TEST(InboundFilter, ClientRequestIsDeliveredWithoutHelloAndRemembersItsLink) {
  InboundFilter f(Options());
  f.SetMinStep(100);  // request ids are the client's, not steps: no stale filter
  InboundVerdict v = AdmitMessage(f, "client-a", ClientRequest(7));
  ASSERT_EQ(v.action, Action::kDeliver) << v.status.ToString();
  EXPECT_EQ(v.header.source, kClientSource);
  EXPECT_EQ(f.pending_requests(), 1u);
  StatusOr<std::string> link = f.TakeClientLink(7);
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(*link, "client-a");
  EXPECT_EQ(f.TakeClientLink(7).status().code(), StatusCode::kNotFound);
}

TEST(InboundFilter, ClientRequestOfAnotherPlanIsForeign) {
  InboundFilter f(Options());
  Message m = ClientRequest(7);
  m.header.plan_hash ^= 1;
  EXPECT_EQ(AdmitMessage(f, "client", m).reason, DropReason::kForeignPlan);
  EXPECT_EQ(f.pending_requests(), 0u);
}

TEST(InboundFilter, ClientRequestIdAlreadyInFlightIsDropped) {
  InboundFilter f(Options());
  ASSERT_EQ(AdmitMessage(f, "client-a", ClientRequest(7)).action, Action::kDeliver);
  EXPECT_EQ(AdmitMessage(f, "client-b", ClientRequest(7)).reason, DropReason::kStale);
  EXPECT_EQ(*f.TakeClientLink(7), "client-a");
}

TEST(InboundFilter, PendingClientRequestsAreBounded) {
  InboundFilter f(Options());  // max_pending_requests = 2
  ASSERT_EQ(AdmitMessage(f, "c", ClientRequest(1)).action, Action::kDeliver);
  ASSERT_EQ(AdmitMessage(f, "c", ClientRequest(2)).action, Action::kDeliver);
  EXPECT_EQ(AdmitMessage(f, "c", ClientRequest(3)).reason, DropReason::kOversized);
  ASSERT_TRUE(f.TakeClientLink(1).ok());
  EXPECT_EQ(AdmitMessage(f, "c", ClientRequest(3)).action, Action::kDeliver);
}

TEST(InboundFilter, OtherTypesFromClientSourceAreUnknownSource) {
  InboundFilter f(Options());
  EXPECT_EQ(AdmitMessage(f, "c", Activations(kClientSource, 10)).reason,
            DropReason::kUnknownSource);
}

}  // namespace
}  // namespace neuropart::worker
