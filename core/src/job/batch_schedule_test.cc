#include "neuropart/job/batch_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace neuropart {
namespace {

TEST(BatchScheduleTest, FileOrderWithoutShuffle) {
  BatchSchedule s(10, 4, 2, 0, false, 1);
  EXPECT_EQ(s.StepsPerEpoch(), 3);
  EXPECT_EQ(s.TotalSteps(), 6);
  EXPECT_EQ(s.Batch(0), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(s.Batch(2), (std::vector<int64_t>{8, 9}));  // the short last batch is kept
  EXPECT_EQ(s.Batch(3), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(BatchScheduleTest, ShuffleIsAPermutationPerEpochAndReproducible) {
  BatchSchedule s(100, 7, 3, 0, true, 42);
  std::vector<int64_t> e0 = s.EpochOrder(0), e1 = s.EpochOrder(1);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, BatchSchedule(100, 7, 3, 0, true, 42).EpochOrder(0));
  EXPECT_NE(e0, BatchSchedule(100, 7, 3, 0, true, 43).EpochOrder(0));
  std::sort(e1.begin(), e1.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(e1[i], i);
}

TEST(BatchScheduleTest, MaxStepsCapsTheRun) {
  EXPECT_EQ(BatchSchedule(100, 10, 5, 12, true, 0).TotalSteps(), 12);
  EXPECT_EQ(BatchSchedule(100, 10, 1, 500, true, 0).TotalSteps(), 10);
}

TEST(BatchScheduleTest, SplitRowsCoversEveryRowOnce) {
  EXPECT_EQ(SplitRows(10, 3),
            (std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 7}, {7, 10}}));
  EXPECT_EQ(SplitRows(2, 4), (std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 2}}));
}

}  // namespace
}  // namespace neuropart
