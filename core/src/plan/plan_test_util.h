// Small architectures and specs for the plan library's tests.
#ifndef NEUROPART_PLAN_PLAN_TEST_UTIL_H_
#define NEUROPART_PLAN_PLAN_TEST_UTIL_H_

#include <string>
#include <vector>

#include "neuropart/model/architecture.h"

namespace neuropart::testing {

// Dense layers l0, l1, ... of the given widths: relu, the last softmax.
inline Architecture Mlp(int64_t in, std::vector<int64_t> widths) {
  Architecture a;
  a.input_size = in;
  for (size_t i = 0; i < widths.size(); ++i) {
    a.layers.push_back({"l" + std::to_string(i), widths[i],
                        i + 1 == widths.size() ? Activation::kSoftmax : Activation::kRelu, {}});
  }
  return a;
}

}  // namespace neuropart::testing

#endif  // NEUROPART_PLAN_PLAN_TEST_UTIL_H_
