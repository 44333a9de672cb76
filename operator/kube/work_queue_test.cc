#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace neuropart::op {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueueTest, DeduplicatesKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsQueuedAfterDone) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");  // not handed to a second worker while the first has it
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
}

TEST(WorkQueueTest, RateLimitedDelaysDoubleAndForgetResets) {
  WorkQueue q(milliseconds(10), milliseconds(40));
  EXPECT_EQ(q.NextDelay("a"), milliseconds(10));
  q.AddRateLimited("a");
  EXPECT_EQ(q.NextDelay("a"), milliseconds(20));
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  EXPECT_EQ(q.NextDelay("a"), milliseconds(40));  // capped
  q.AddRateLimited("a");
  EXPECT_EQ(q.NextDelay("a"), milliseconds(40));
  EXPECT_EQ(q.NumRequeues("a"), 4);
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
  EXPECT_EQ(q.NextDelay("a"), milliseconds(10));
}

TEST(WorkQueueTest, DelayedKeyArrivesAfterItsDelay) {
  WorkQueue q;
  const auto start = std::chrono::steady_clock::now();
  q.AddAfter("a", milliseconds(50));
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(WorkQueueTest, ImmediateAddOvertakesADelayedOne) {
  WorkQueue q;
  q.AddAfter("a", milliseconds(60000));
  q.Add("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
}

TEST(WorkQueueTest, ShutDownWakesWaiters) {
  WorkQueue q;
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q.Get(); });
  std::this_thread::sleep_for(milliseconds(20));
  q.ShutDown();
  t.join();
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace neuropart::op
