// libFuzzer harness for the strict JSON reader (ParseJson, ParseJsonWithOffsets), built by the
// fuzz preset (docs/fuzzing.md).
//
// Input: byte 0 picks the limits (bit 0: strings and integers only; the rest: max_depth), the
// rest is the text. Beyond "never crash": both entry points agree; every recorded offset points
// at the first byte of its value's token; what parses prints to text that parses to an equal
// document under the same limits and prints the same again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_require.h"
#include "neuropart/base/json.h"

namespace neuropart {
namespace {

bool StartsItsToken(const Json& v, char c) {
  if (v.is_object()) return c == '{';
  if (v.is_array()) return c == '[';
  if (v.is_string()) return c == '"';
  if (v.is_boolean()) return c == (v.get<bool>() ? 't' : 'f');
  if (v.is_null()) return c == 'n';
  return c == '-' || (c >= '0' && c <= '9');
}

void CheckOffsets(const Json& v, const JsonOffsets& offsets, std::string_view text) {
  const size_t at = offsets.Of(v);
  FuzzRequire(at < text.size() && StartsItsToken(v, text[at]),
              "a value's offset points at its token");
  for (const auto& [key, member] : Members(v)) CheckOffsets(member, offsets, text);
  for (const Json& element : Elements(v)) CheckOffsets(element, offsets, text);
}

}  // namespace
}  // namespace neuropart

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  if (size == 0) return 0;
  const JsonLimits limits{.max_depth = data[0] >> 1,
                          .strings_and_integers_only = (data[0] & 1) != 0};
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  StatusOr<Json> doc = ParseJson(text, limits);
  Json with_offsets;
  JsonOffsets offsets;
  const Status status = ParseJsonWithOffsets(text, limits, &with_offsets, &offsets);
  FuzzRequire(doc.ok() == status.ok(), "ParseJson and ParseJsonWithOffsets agree");
  if (!doc.ok()) return 0;
  FuzzRequire(with_offsets == *doc, "ParseJsonWithOffsets reads the same document");
  CheckOffsets(with_offsets, offsets, text);

  const std::string printed = DumpJson(*doc);
  StatusOr<Json> again = ParseJson(printed, limits);
  FuzzRequire(again.ok(), "a parsed document prints to text that parses");
  FuzzRequire(*again == *doc && JsonEquals(*again, *doc), "the printed document parses equal");
  FuzzRequire(DumpJson(*again) == printed, "printing is a fixed point");
  return 0;
}
