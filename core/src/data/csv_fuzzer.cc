// libFuzzer harness for the CSV reader (ParseCsv), built by the fuzz preset (docs/fuzzing.md).
//
// Input: byte 0 picks the label column (b % 4), the rest is the file. Beyond "never crash": a
// loaded dataset has finite features and non-negative labels below num_classes, and written back
// as CSV (shortest round-trip numbers) it loads to the very same dataset.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataset_fuzz_checks.h"
#include "fuzz_require.h"

namespace neuropart {
namespace {

void AppendNumber(double v, std::string* out) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  FuzzRequire(ec == std::errc(), "to_chars fits");
  out->append(buf, end);
}

std::string WriteCsv(const Dataset& ds, int label_column) {
  std::string out;
  for (int64_t r = 0; r < ds.size(); ++r) {
    for (int64_t c = 0, f = 0; c <= ds.features(); ++c) {
      if (c > 0) out += ',';
      // A label as double: above 2^24 it would not survive float, the conditional's type else.
      AppendNumber(c == label_column ? static_cast<double>(ds.labels[r]) : ds.x(r, f++), &out);
    }
    out += '\n';
  }
  return out;
}

}  // namespace
}  // namespace neuropart

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  if (size == 0) return 0;
  const int label_column = data[0] % 4;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  StatusOr<Dataset> ds = ParseCsv(text, "fuzz.csv", label_column);
  if (!ds.ok()) return 0;
  RequireLoadedDataset(*ds);
  StatusOr<Dataset> again = ParseCsv(WriteCsv(*ds, label_column), "again.csv", label_column);
  FuzzRequire(again.ok(), "a loaded dataset written back as CSV loads");
  FuzzRequire(SameDataset(*again, *ds), "a loaded dataset written back as CSV loads the same");
  return 0;
}
