// libFuzzer harness for the IDX reader (ParseIdx), built by the fuzz preset (docs/fuzzing.md).
//
// Input: a 2-byte little-endian length L, L bytes of images file (cut at the end of the input),
// then the labels file. Beyond "never crash": a loaded dataset has one label per image, pixels in
// [0, 1] and labels below num_classes, and written back as IDX it loads to the same dataset.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "dataset_fuzz_checks.h"
#include "fuzz_require.h"

namespace neuropart {
namespace {

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// IDX files holding `ds` as `ds.size()` images of 1 x features pixels.
std::pair<std::string, std::string> WriteIdx(const Dataset& ds) {
  const auto n = static_cast<uint32_t>(ds.size());
  std::string images = BigEndian32(0x803) + BigEndian32(n) + BigEndian32(1) +
                       BigEndian32(static_cast<uint32_t>(ds.features()));
  const float* x = ds.x.data();
  for (int64_t i = 0; i < ds.x.size(); ++i) images += static_cast<char>(std::lround(x[i] * 255));
  std::string labels = BigEndian32(0x801) + BigEndian32(n);
  for (int32_t l : ds.labels) labels += static_cast<char>(l);
  return {images, labels};
}

}  // namespace
}  // namespace neuropart

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() < 2) return 0;
  size_t images_size = static_cast<uint8_t>(in[0]) | (size_t{static_cast<uint8_t>(in[1])} << 8);
  in.remove_prefix(2);
  images_size = std::min(images_size, in.size());
  StatusOr<Dataset> ds =
      ParseIdx(in.substr(0, images_size), in.substr(images_size), "images", "labels");
  if (!ds.ok()) return 0;
  RequireLoadedDataset(*ds);
  const float* x = ds->x.data();
  FuzzRequire(std::all_of(x, x + ds->x.size(), [](float v) { return v >= 0 && v <= 1; }),
              "pixels lie in [0, 1]");
  const auto [images, labels] = WriteIdx(*ds);
  StatusOr<Dataset> again = ParseIdx(images, labels, "images", "labels");
  FuzzRequire(again.ok(), "a loaded dataset written back as IDX loads");
  FuzzRequire(SameDataset(*again, *ds), "a loaded dataset written back as IDX loads the same");
  return 0;
}
