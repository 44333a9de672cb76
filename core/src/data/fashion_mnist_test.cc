// Loads the real Fashion-MNIST test set from Debian's dataset-fashion-mnist package when it is
// installed (apt-get install dataset-fashion-mnist); skipped otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "neuropart/data/dataset.h"

namespace neuropart {
namespace {

constexpr char kDir[] = "/usr/share/datasets/fashion-mnist";

TEST(FashionMnistTest, LoadsTheRealTestSet) {
  const std::string images = std::string(kDir) + "/t10k-images-idx3-ubyte.gz";
  const std::string labels = std::string(kDir) + "/t10k-labels-idx1-ubyte.gz";
  if (::access(images.c_str(), R_OK) != 0 || ::access(labels.c_str(), R_OK) != 0) {
    GTEST_SKIP() << "Fashion-MNIST not found under " << kDir
                 << " (install the Debian package dataset-fashion-mnist)";
  }
  StatusOr<Dataset> ds = LoadIdx(images, labels);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 10000);
  EXPECT_EQ(ds->features(), 784);
  EXPECT_EQ(ds->num_classes, 10);
  const float* first = ds->x.data();
  const auto [lo, hi] = std::minmax_element(first, first + ds->x.size());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);
  // The test set is balanced: 1000 images of each class.
  std::vector<int> counts(10, 0);
  for (int32_t l : ds->labels) ++counts[l];
  EXPECT_EQ(counts, std::vector<int>(10, 1000));
  // The first test image is an ankle boot (class 9), the second a pullover (class 2).
  EXPECT_EQ(ds->labels[0], 9);
  EXPECT_EQ(ds->labels[1], 2);
}

}  // namespace
}  // namespace neuropart
