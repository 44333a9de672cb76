#include "controller/quantity.h"

#include <cmath>

#include "neuropart/base/quantity.h"

namespace neuropart::op {

StatusOr<double> ParseQuantity(const Json& quantity) {
  if (quantity.is_number()) {
    if (AsNumber(quantity) < 0) return InvalidArgumentError("negative quantity");
    return AsNumber(quantity);
  }
  if (!quantity.is_string()) return InvalidArgumentError("a quantity must be a number or a string");
  return ParseQuantityText(AsString(quantity));
}

std::string FormatQuantity(double value, bool whole) {
  if (whole || (value == std::floor(value) && value < 1e15)) {
    return std::to_string(static_cast<long long>(std::ceil(value)));
  }
  return std::to_string(static_cast<long long>(std::ceil(value * 1000))) + "m";
}

}  // namespace neuropart::op
