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

}  // namespace
}  // namespace neuropart
