#include "neuropart/exec/mailbox.h"

#include <gtest/gtest.h>

#include "neuropart/wire/payloads.h"

namespace neuropart {
namespace {

using std::chrono::milliseconds;

Message Abort(StatusCode code, const std::string& why) {
  Message m;
  m.header.type = wire::MsgType::kAbort;
  m.header.source = 1;
  m.header.destination = 0;
  m.payload = wire::EncodeAbort({static_cast<uint32_t>(code), why});
  m.header.payload_length = m.payload.size();
  return m;
}

StatusOr<Message> AwaitAfter(Message sent) {
  InProcessNetwork net(2);
  EXPECT_TRUE(net.Endpoint(1)->Send(std::move(sent)).ok());
  Mailbox mailbox(net.Endpoint(0));
  return mailbox.Await(MessageKey{}, milliseconds(1000));
}

TEST(MailboxTest, PeerAbortEndsTheWaitAsUnavailableWithItsReason) {
  StatusOr<Message> got = AwaitAfter(Abort(StatusCode::kInternal, "disk full"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(got.status().message(), "partition 1 aborted the job: disk full");
}

TEST(MailboxTest, StoppedPeerEndsTheWaitAsCancelledNotAsAFailure) {
  StatusOr<Message> got = AwaitAfter(Abort(StatusCode::kCancelled, "SIGTERM after step 4"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(got.status().message(), "partition 1 was stopped: SIGTERM after step 4");
}

Message Activations(uint32_t source, uint64_t step) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.source = source;
  m.header.step = step;
  return m;
}

MessageKey KeyOf(const Message& m) { return MessageKey::Of(m.header); }

TEST(MailboxTest, APeerNotHeardFromYetGetsTheRendezvousTimeout) {
  InProcessNetwork net(2);
  Mailbox mailbox(net.Endpoint(0), milliseconds(1000));
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Message> got = mailbox.Await(KeyOf(Activations(1, 1)), milliseconds(50));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got.ok());
  EXPECT_GE(waited, milliseconds(900));  // not 50 ms: the rendezvous timeout applied
  EXPECT_EQ(got.status().message().rfind("partition 1 did not join within 1 s "
                                         "(transport.rendezvousTimeoutSeconds)", 0), 0u)
      << got.status().message();
}

TEST(MailboxTest, APeerHeardFromGetsThePerStepTimeout) {
  InProcessNetwork net(2);
  Mailbox mailbox(net.Endpoint(0), milliseconds(5000));
  ASSERT_TRUE(net.Endpoint(1)->Send(Activations(1, 1)).ok());
  ASSERT_TRUE(mailbox.Await(KeyOf(Activations(1, 1)), milliseconds(1000)).ok());
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Message> got = mailbox.Await(KeyOf(Activations(1, 2)), milliseconds(50));
  ASSERT_FALSE(got.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(got.status().message().rfind("timed out after 50 ms", 0), 0u) << got.status().message();
}

}  // namespace
}  // namespace neuropart
