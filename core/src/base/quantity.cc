#include "neuropart/base/quantity.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace neuropart {

StatusOr<double> ParseQuantityText(std::string_view text) {
  // Longest suffixes first, so "Mi" is not read as "M".
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50},
      {"Ei", 0x1p60}, {"m", 1e-3},    {"k", 1e3},     {"M", 1e6},     {"G", 1e9},
      {"T", 1e12},    {"P", 1e15},    {"E", 1e18}};
  std::string number(text);
  double scale = 1;
  for (const auto& [suffix, factor] : kSuffixes) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      number = text.substr(0, text.size() - suffix.size());
      scale = factor;
      break;
    }
  }
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value) ||
      value < 0) {
    return InvalidArgumentError("\"" + std::string(text) + "\" is not a resource quantity");
  }
  return value * scale;
}

}  // namespace neuropart
