// JsonValue: a small, strict JSON reader for the headers and manifests the store reads.
//
// Only the subset the store needs is accepted: objects, arrays, strings and integers (int64).
// Fractions, exponents, true/false/null, duplicate object keys, invalid UTF-8, unescaped control
// characters, nesting deeper than a limit and trailing non-whitespace are errors, each reported
// as Corruption with the byte offset into the parsed text. Parsed values are plain data owned by
// the caller; the functions are pure and thread-safe.
#ifndef NEUROPART_STORE_JSON_LITE_H_
#define NEUROPART_STORE_JSON_LITE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/status.h"

namespace neuropart {

struct JsonMember;

struct JsonValue {
  enum class Type { kObject, kArray, kString, kInteger };

  Type type = Type::kObject;
  size_t offset = 0;  // where the value starts in the parsed text
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<JsonMember> members;  // objects, in document order; keys are unique

  // The member called `key` of an object, or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

std::string_view JsonTypeName(JsonValue::Type type);

inline constexpr int kJsonMaxDepth = 64;

// Parses `text`, which must hold exactly one value, optionally surrounded by whitespace.
StatusOr<JsonValue> ParseJson(std::string_view text, int max_depth = kJsonMaxDepth);

// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control characters.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace neuropart

#endif  // NEUROPART_STORE_JSON_LITE_H_
