#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "neuropart/data/dataset.h"

namespace neuropart {
namespace {

TEST(SyntheticTest, SameSeedGivesTheSameData) {
  const Dataset a = MakeSynthetic(200, 10, 4, 7);
  const Dataset b = MakeSynthetic(200, 10, 4, 7);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.labels, b.labels);
  const Dataset c = MakeSynthetic(200, 10, 4, 8);
  EXPECT_NE(a.x, c.x);
  EXPECT_NE(a.labels, c.labels);
}

TEST(SyntheticTest, PrefixOfALargerDatasetIsTheSmallerOne) {
  // Sample i depends only on (seed, i): datasets of different sizes agree on shared rows.
  const Dataset small = MakeSynthetic(50, 6, 3, 1);
  const Dataset large = MakeSynthetic(120, 6, 3, 1);
  EXPECT_EQ(small.x, large.x.topRows(50));
  EXPECT_EQ(small.labels, std::vector<int32_t>(large.labels.begin(), large.labels.begin() + 50));
}

TEST(SyntheticTest, ShapesAndLabelsCoverEveryClass) {
  const Dataset ds = MakeSynthetic(500, 12, 5, 3);
  EXPECT_EQ(ds.size(), 500);
  EXPECT_EQ(ds.features(), 12);
  EXPECT_EQ(ds.num_classes, 5);
  std::set<int32_t> seen(ds.labels.begin(), ds.labels.end());
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(ds.x.allFinite());
}

TEST(SyntheticTest, IsLearnableByNearestClassMean) {
  // Fit class means on the first half, classify the second: far above chance (20%).
  const Dataset ds = MakeSynthetic(2000, 8, 5, 11);
  MatrixF means = MatrixF::Zero(5, 8);
  std::vector<int> counts(5, 0);
  for (int64_t i = 0; i < 1000; ++i) {
    means.row(ds.labels[i]) += ds.x.row(i);
    ++counts[ds.labels[i]];
  }
  for (int k = 0; k < 5; ++k) means.row(k) /= static_cast<float>(counts[k]);
  int correct = 0;
  for (int64_t i = 1000; i < 2000; ++i) {
    int best = 0;
    float best_d = std::numeric_limits<float>::max();
    for (int k = 0; k < 5; ++k) {
      const float d = (ds.x.row(i) - means.row(k)).squaredNorm();
      if (d < best_d) best_d = d, best = k;
    }
    correct += best == ds.labels[i];
  }
  EXPECT_GT(correct, 900);
}

TEST(SyntheticTest, ZeroSamplesIsEmpty) {
  const Dataset ds = MakeSynthetic(0, 3, 2, 0);
  EXPECT_EQ(ds.size(), 0);
  EXPECT_EQ(ds.features(), 3);
  EXPECT_EQ(ds.num_classes, 2);
}

}  // namespace
}  // namespace neuropart
