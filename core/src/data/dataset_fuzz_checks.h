// Test-only: what every loader promises of a Dataset it returns, checked by the data fuzzers.
#ifndef NEUROPART_DATA_DATASET_FUZZ_CHECKS_H_
#define NEUROPART_DATA_DATASET_FUZZ_CHECKS_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_require.h"
#include "neuropart/data/dataset.h"

namespace neuropart {

// Rows and features, one label per row, finite features, labels in [0, num_classes).
inline void RequireLoadedDataset(const Dataset& ds) {
  FuzzRequire(ds.size() > 0 && ds.features() > 0, "a dataset has rows and features");
  FuzzRequire(ds.labels.size() == static_cast<size_t>(ds.size()), "one label per row");
  const float* x = ds.x.data();
  FuzzRequire(std::all_of(x, x + ds.x.size(), [](float v) { return std::isfinite(v); }),
              "features are finite");
  FuzzRequire(std::all_of(ds.labels.begin(), ds.labels.end(),
                          [&](int32_t l) { return l >= 0 && l < ds.num_classes; }),
              "labels lie in [0, num_classes)");
}

inline bool SameDataset(const Dataset& a, const Dataset& b) {
  return a.x == b.x && a.labels == b.labels && a.num_classes == b.num_classes;
}

}  // namespace neuropart

#endif  // NEUROPART_DATA_DATASET_FUZZ_CHECKS_H_
