// Json: neuropart's one JSON document type (nlohmann::ordered_json), with a strict parser, a
// printer that never throws and typed lookups that never throw.
//
// This header and json.cc are the only files that use nlohmann/json directly; the rest of the
// tree includes this header. Objects keep their members in insertion (document) order. ParseJson
// refuses duplicate keys, nesting deeper than a limit, invalid UTF-8 and trailing garbage, each as
// Corruption naming the byte offset; no nlohmann exception leaves json.cc. Values built by hand
// must avoid nlohmann's throwing accessors (at(), get<T>(), operator[] on a const object, erase()
// on a non-object): use the lookups below, which read a missing member or a value of another type
// as a fallback. Json values are plain data: copyable, not synchronised; the functions are pure and
// thread-safe.
#ifndef NEUROPART_BASE_JSON_H_
#define NEUROPART_BASE_JSON_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "neuropart/status.h"

namespace neuropart {

// Build objects and arrays with Json::object({{"k", v}, ...}) and Json::array({...}): a bare
// Json{{"k", v}} guesses between an object and an array of pairs.
using Json = nlohmann::ordered_json;

struct JsonLimits {
  int max_depth = 128;  // objects and arrays nested deeper than this are refused
  // The stored files' subset: no fractions, exponents, true, false or null, and every integer
  // fits in int64.
  bool strings_and_integers_only = false;
};

// Parses `text`, which must hold exactly one value, optionally surrounded by whitespace.
// Corruption messages start "JSON byte <offset>: ".
StatusOr<Json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Where each value of a parsed document starts in its text, for errors that point into a file.
class JsonOffsets {
 public:
  // The byte offset of `value`, the document or one of its values. REQUIRES: the document has been
  // neither modified nor moved since it was parsed.
  size_t Of(const Json& value) const;

 private:
  friend class JsonOffsetsBuilder;
  std::unordered_map<const Json*, size_t> offsets_;
};

// ParseJson into `*out`, also recording the offset of each value in `*offsets`.
Status ParseJsonWithOffsets(std::string_view text, const JsonLimits& limits, Json* out,
                            JsonOffsets* offsets);

// Compact JSON text. Invalid UTF-8 in strings is replaced by U+FFFD; non-finite numbers are null.
std::string DumpJson(const Json& value);

// True if `text` is valid UTF-8: a string that DumpJson prints as it is, without U+FFFD.
bool IsValidUtf8(std::string_view text);

// Objects compare as sets of members (member order is ignored), numbers by value (2 == 2.0).
bool JsonEquals(const Json& a, const Json& b);

// The lookups that return a pointer or reference into their argument refuse a temporary, which
// would die before the result is used (`for (auto& m : Members(MakeDoc()))` dangles).

// Member `key` of `object`, or nullptr (also when `object` is not an object).
const Json* FindMember(const Json& object, std::string_view key);
const Json* FindMember(const Json&& object, std::string_view key) = delete;
// Follows a path of object keys: AtPath(pod, {"status", "phase"}); nullptr when a step is missing.
const Json* AtPath(const Json& value, std::initializer_list<std::string_view> path);
const Json* AtPath(const Json&& value, std::initializer_list<std::string_view> path) = delete;

// The members of an object or the elements of an array; empty for any other value.
const Json::object_t& Members(const Json& object);
const Json::object_t& Members(const Json&& object) = delete;
const Json::array_t& Elements(const Json& array);
const Json::array_t& Elements(const Json&& array) = delete;

// A value read as a given type; "", 0, 0.0 or false when it has another type. A number that is
// not an integer is truncated; NaN and numbers outside int64 read as 0.
const std::string& AsString(const Json& value);
const std::string& AsString(const Json&& value) = delete;
int64_t AsInt(const Json& value);
double AsNumber(const Json& value);
bool AsBool(const Json& value);

// Member `key` of `object` read as a type; `fallback` when it is missing or of another type (for
// GetInt and GetNumber: not a number).
std::string GetString(const Json& object, std::string_view key, std::string fallback = "");
int64_t GetInt(const Json& object, std::string_view key, int64_t fallback = 0);
double GetNumber(const Json& object, std::string_view key, double fallback = 0);
bool GetBool(const Json& object, std::string_view key, bool fallback = false);

// Removes member `key` of `*object` if present; does nothing to a value that is not an object.
void EraseMember(Json* object, std::string_view key);

}  // namespace neuropart

#endif  // NEUROPART_BASE_JSON_H_
