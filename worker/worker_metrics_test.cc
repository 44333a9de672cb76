#include "worker_metrics.h"

#include <gtest/gtest.h>


namespace neuropart::worker {
namespace {

std::unique_ptr<WorkerMetrics> Make(WorkerMetricsOptions o) {
  StatusOr<std::unique_ptr<WorkerMetrics>> m = WorkerMetrics::Create(o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

TEST(WorkerMetrics, DropsAreCountedByReason) {
  auto m = Make({});
  m->OnDropped(wire::DropReason::kStale);
  EXPECT_EQ(m->dropped(wire::DropReason::kStale), 1);
}

TEST(WorkerMetrics, CountsMessagesAndBytesPerPeer) {
  auto m = Make({});
  m->OnSent(1, 100);
  m->OnSent(1, 50);
  m->OnSent(2, 7);
  m->OnReceived(kClientPeer, 30);
  EXPECT_EQ(m->messages_sent(1), 2);
  EXPECT_EQ(m->bytes_sent(1), 150);
  EXPECT_EQ(m->messages_sent(2), 1);
  EXPECT_EQ(m->bytes_sent(2), 7);
  EXPECT_EQ(m->messages_sent(3), 0);
  EXPECT_EQ(m->messages_received(kClientPeer), 1);
  EXPECT_EQ(m->bytes_received(kClientPeer), 30);
  EXPECT_EQ(m->messages_received(1), 0);
}

TEST(WorkerMetrics, EveryDropReasonIsExportedFromZero) {
  auto m = Make({});
  m->OnDropped(wire::DropReason::kOversized);
  const std::string text = m->Render();
  for (size_t r = 1; r < wire::kDropReasonCount; ++r) {
    const auto reason = static_cast<wire::DropReason>(r);
    const std::string line = "neuropart_messages_dropped_total{partition=\"0\",reason=\"" +
                             std::string(wire::DropReasonName(reason)) + "\"} " +
                             (reason == wire::DropReason::kOversized ? "1" : "0") + "\n";
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  EXPECT_EQ(text.find("reason=\"none\""), std::string::npos);
}

TEST(WorkerMetrics, StepAndCheckpointHistogramsObserve) {
  auto m = Make({});
  m->ObserveStep(0.5, 0.3, 0.2);
  m->ObserveCheckpoint(2.0);
  const std::string text = m->Render();
  for (const char* line : {"neuropart_step_seconds_count{partition=\"0\"} 1\n",
                           "neuropart_step_seconds_sum{partition=\"0\"} 0.5\n",
                           "neuropart_step_compute_seconds_sum{partition=\"0\"} 0.3\n",
                           "neuropart_step_wait_seconds_sum{partition=\"0\"} 0.2\n",
                           "neuropart_checkpoint_seconds_sum{partition=\"0\"} 2\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}

}  // namespace
}  // namespace neuropart::worker
