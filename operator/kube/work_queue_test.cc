#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace neuropart::op {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeQueueClock final : public QueueClock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(milliseconds d) { now_ += d; }

 private:
  TimePoint now_ = TimePoint() + std::chrono::hours(1);
};

// Keeps what the queue reported, in seconds.
struct RecordingObserver final : WorkQueueObserver {
  void QueueAdded(size_t d) override {
    ++adds;
    depth = d;
  }
  void QueueTaken(size_t d, Seconds w) override {
    depth = d;
    waited.push_back(w.count());
  }
  void QueueDone(Seconds w) override { worked.push_back(w.count()); }
  void QueueRetried() override { ++retries; }
  void QueueUnfinishedWork(Seconds t, Seconds l) override {
    ++unfinished_reports;
    unfinished = t.count();
    longest = l.count();
  }

  int adds = 0, retries = 0, unfinished_reports = 0;
  size_t depth = 0;
  std::vector<double> waited, worked;
  double unfinished = -1, longest = -1;
};

class WorkQueueMetricsTest : public ::testing::Test {
 protected:
  FakeQueueClock clock_;
  RecordingObserver seen_;
  WorkQueue q_{WorkQueueOptions{.base_delay = milliseconds(10),
                                .max_delay = milliseconds(40),
                                .observer = &seen_,
                                .clock = &clock_}};
};

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
  WorkQueue q(WorkQueueOptions{.base_delay = milliseconds(10), .max_delay = milliseconds(40)});
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

TEST_F(WorkQueueMetricsTest, AddsAndDepthCountKeysEnteringTheQueueNotDuplicates) {
  q_.Add("a");
  q_.Add("b");
  q_.Add("a");
  EXPECT_EQ(seen_.adds, 2);
  EXPECT_EQ(seen_.depth, 2u);
  ASSERT_EQ(q_.Get(), "a");
  EXPECT_EQ(seen_.depth, 1u);
  q_.Add("a");  // again while a worker has it: queued after Done, so an add and in the depth
  EXPECT_EQ(seen_.adds, 3);
  EXPECT_EQ(seen_.depth, 2u);
  q_.Done("a");
  ASSERT_EQ(q_.Get(), "b");
  ASSERT_EQ(q_.Get(), "a");
  EXPECT_EQ(seen_.depth, 0u);
  EXPECT_EQ(seen_.retries, 0);
}

TEST_F(WorkQueueMetricsTest, QueueDurationRunsFromAddUntilGetAndWorkDurationFromGetUntilDone) {
  q_.Add("a");
  clock_.Advance(milliseconds(2000));
  q_.Add("b");
  clock_.Advance(milliseconds(500));
  ASSERT_EQ(q_.Get(), "a");
  ASSERT_EQ(q_.Get(), "b");
  EXPECT_EQ(seen_.waited, (std::vector<double>{2.5, 0.5}));
  clock_.Advance(milliseconds(3000));
  q_.Done("b");
  clock_.Advance(milliseconds(250));
  q_.Done("a");
  q_.Done("a");  // not processing: nothing to time
  EXPECT_EQ(seen_.worked, (std::vector<double>{3.0, 3.25}));
}

TEST_F(WorkQueueMetricsTest, EveryAddAfterIsARetryAndADelayedKeyIsAddedWhenDue) {
  q_.AddRateLimited("a");  // 10 ms
  q_.AddAfter("b", milliseconds(1000));
  q_.AddAfter("c", milliseconds(0));  // no delay: added now, still a retry as in client-go
  EXPECT_EQ(seen_.retries, 3);
  EXPECT_EQ(seen_.adds, 1);
  EXPECT_EQ(seen_.depth, 1u);
  clock_.Advance(milliseconds(1000));
  ASSERT_EQ(q_.Get(), "c");  // also promotes the due a and b
  EXPECT_EQ(seen_.adds, 3);
  EXPECT_EQ(seen_.depth, 2u);
  EXPECT_EQ(seen_.waited, (std::vector<double>{1.0}));  // c waited from its add
  ASSERT_EQ(q_.Get(), "a");
  EXPECT_EQ(seen_.waited.back(), 0.0);  // a's wait counts from when it was due, not its delay
  q_.ShutDown();
  q_.AddAfter("d", milliseconds(0));
  EXPECT_EQ(seen_.retries, 3);  // nothing is added once shut down
}

TEST_F(WorkQueueMetricsTest, UnfinishedWorkSumsAndMaxesTheKeysBeingProcessed) {
  q_.ReportUnfinishedWork();
  EXPECT_EQ(seen_.unfinished, 0.0);
  EXPECT_EQ(seen_.longest, 0.0);
  q_.Add("a");
  q_.Add("b");
  ASSERT_EQ(q_.Get(), "a");
  clock_.Advance(milliseconds(1000));
  ASSERT_EQ(q_.Get(), "b");
  clock_.Advance(milliseconds(2000));
  q_.ReportUnfinishedWork();
  EXPECT_EQ(seen_.unfinished, 5.0);  // a 3 s, b 2 s
  EXPECT_EQ(seen_.longest, 3.0);
  q_.Done("a");
  q_.ReportUnfinishedWork();
  EXPECT_EQ(seen_.unfinished, 2.0);
  EXPECT_EQ(seen_.longest, 2.0);
}

TEST_F(WorkQueueMetricsTest, UnfinishedWorkReporterRepeatsUntilShutDown) {
  std::thread reporter([&] { q_.ReportUnfinishedWorkUntilShutDown(milliseconds(1)); });
  std::this_thread::sleep_for(milliseconds(50));
  q_.ShutDown();
  reporter.join();
  EXPECT_GE(seen_.unfinished_reports, 2);
}

TEST_F(WorkQueueMetricsTest, ShutDownStopsTheReporterWithoutWaitingOutItsPeriod) {
  const auto start = std::chrono::steady_clock::now();
  std::thread reporter([&] { q_.ReportUnfinishedWorkUntilShutDown(milliseconds(60000)); });
  std::this_thread::sleep_for(milliseconds(20));
  q_.ShutDown();
  reporter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
}

}  // namespace
}  // namespace neuropart::op
