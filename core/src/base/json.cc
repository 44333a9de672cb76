// The nlohmann/json adapter: a SAX handler that builds the document strictly, the printer and the
// typed lookups. Every nlohmann exception stops in this file.
#include "neuropart/base/json.h"

#include <cassert>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

namespace neuropart {

// Gives the parser access to JsonOffsets' table.
class JsonOffsetsBuilder {
 public:
  // Pairs the values of `doc`, in document order, with `starts`, their offsets in that order.
  static void Assign(const Json& doc, const std::vector<size_t>& starts, JsonOffsets* out) {
    out->offsets_.clear();
    out->offsets_.reserve(starts.size());
    size_t next = 0;
    Visit(doc, starts, &next, out);
    assert(next == starts.size());
  }

 private:
  static void Visit(const Json& v, const std::vector<size_t>& starts, size_t* next,
                    JsonOffsets* out) {
    if (*next < starts.size()) out->offsets_[&v] = starts[(*next)++];
    for (const auto& [key, member] : Members(v)) Visit(member, starts, next, out);
    for (const Json& element : Elements(v)) Visit(element, starts, next, out);
  }
};

namespace {

constexpr std::string_view kJsonWhitespace = " \t\n\r";

// Builds the document from nlohmann's SAX events, refusing what JsonLimits and the duplicate-key
// rule forbid. nlohmann validates each token before reporting it, so a cursor that re-reads the
// text token by token finds where each event's token starts.
class StrictBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  StrictBuilder(std::string_view text, const JsonLimits& limits, Json* root,
                std::vector<size_t>* starts)
      : text_(text), limits_(limits), root_(root), starts_(starts) {}

  const Status& status() const { return status_; }

  bool null() {
    const size_t at = ValueStart();
    if (limits_.strings_and_integers_only) return NotInSubset(at);
    return Add(nullptr);
  }
  bool boolean(bool b) {
    const size_t at = ValueStart();
    if (limits_.strings_and_integers_only) return NotInSubset(at);
    return Add(b);
  }
  bool number_integer(number_integer_t i) {
    ValueStart();
    return Add(i);
  }
  bool number_unsigned(number_unsigned_t u) {
    const size_t at = ValueStart();
    if (limits_.strings_and_integers_only &&
        u > static_cast<number_unsigned_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(at, "integer out of 64-bit range");
    }
    return Add(u);
  }
  bool number_float(number_float_t d, const string_t& token) {
    const size_t at = ValueStart();
    if (limits_.strings_and_integers_only) {
      const bool integral = token.find_first_of(".eE") == string_t::npos;
      return Fail(at, integral ? "integer out of 64-bit range" : "only integers are supported");
    }
    return Add(d);
  }
  bool string(string_t& s) {
    ValueStart();
    return Add(std::move(s));
  }
  bool binary(binary_t&) { return Fail(cursor_, "binary values are not JSON"); }

  bool start_object(size_t) { return Open(Json::object()); }
  bool start_array(size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    const size_t at = NextToken();
    if (!keys_.back().insert(k).second) return Fail(at, "duplicate key \"" + k + "\"");
    // Appending to the underlying vector skips ordered_map's linear search for the key, which
    // the set above has already done: a hostile header may hold millions of keys.
    auto& members = static_cast<Json::object_t::Container&>(
        stack_.back()->get_ref<Json::object_t&>());
    members.emplace_back(std::move(k), nullptr);
    member_ = &members.back().second;
    return true;
  }

  bool parse_error(size_t position, const std::string&, const nlohmann::json::exception& e) {
    // `position` counts the bytes read, the offending one included.
    const size_t at = std::min(position == 0 ? 0 : position - 1, text_.size());
    std::string what = e.what();
    const size_t syntax = what.find("syntax error");
    if (syntax != std::string::npos) what.erase(0, syntax);
    return Fail(at, what);
  }

 private:
  bool Fail(size_t at, std::string_view what) {
    status_ = CorruptionError("JSON byte " + std::to_string(at) + ": " + std::string(what));
    return false;
  }
  bool NotInSubset(size_t at) {
    return Fail(at, "unexpected literal, expected an object, array, string or integer");
  }

  // Moves the cursor past the separators before the next token and past that token; returns
  // where the token starts.
  size_t NextToken() {
    while (cursor_ < text_.size() &&
           (kJsonWhitespace.find(text_[cursor_]) != std::string_view::npos ||
            text_[cursor_] == ',' || text_[cursor_] == ':')) {
      ++cursor_;
    }
    const size_t start = cursor_;
    if (cursor_ >= text_.size()) return start;
    const char c = text_[cursor_++];
    if (c == '"') {
      while (cursor_ < text_.size() && text_[cursor_] != '"') {
        cursor_ += text_[cursor_] == '\\' ? 2 : 1;
      }
      ++cursor_;
    } else if (c != '{' && c != '}' && c != '[' && c != ']') {
      while (cursor_ < text_.size() &&
             std::string_view("+-.0123456789eEtruefalsn").find(text_[cursor_]) !=
                 std::string_view::npos) {
        ++cursor_;
      }
    }
    return start;
  }

  size_t ValueStart() {
    const size_t at = NextToken();
    if (starts_ != nullptr) starts_->push_back(at);
    return at;
  }

  // Stores `value` where the document expects the next value; returns its address.
  template <typename Value>
  Json* Place(Value&& value) {
    if (stack_.empty()) {
      *root_ = Json(std::forward<Value>(value));
      return root_;
    }
    Json* parent = stack_.back();
    if (parent->is_array()) {
      auto& elements = parent->get_ref<Json::array_t&>();
      elements.emplace_back(std::forward<Value>(value));
      return &elements.back();
    }
    *member_ = Json(std::forward<Value>(value));
    return member_;
  }

  template <typename Value>
  bool Add(Value&& value) {
    Place(std::forward<Value>(value));
    return true;
  }

  bool Open(Json empty) {
    const size_t at = ValueStart();
    if (stack_.size() >= static_cast<size_t>(limits_.max_depth)) {
      return Fail(at, "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    const bool object = empty.is_object();
    stack_.push_back(Place(std::move(empty)));
    if (object) keys_.emplace_back();
    return true;
  }

  bool Close() {
    NextToken();
    if (stack_.back()->is_object()) keys_.pop_back();
    stack_.pop_back();
    return true;
  }

  std::string_view text_;
  const JsonLimits& limits_;
  Json* root_;
  std::vector<size_t>* starts_;  // null when offsets are not wanted
  size_t cursor_ = 0;
  std::vector<Json*> stack_;  // the open objects and arrays, outermost first
  std::vector<std::unordered_set<std::string>> keys_;  // the keys seen, per open object
  Json* member_ = nullptr;  // where the value of the last key goes
  Status status_;
};

Status Parse(std::string_view text, const JsonLimits& limits, Json* out,
             std::vector<size_t>* starts) {
  Json doc;
  StrictBuilder builder(text, limits, &doc, starts);
  try {
    if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
      return builder.status().ok() ? CorruptionError("JSON: malformed") : builder.status();
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("JSON: ") + e.what());
  }
  *out = std::move(doc);
  return Status::Ok();
}

// Integers exactly (nlohmann would wrap an unsigned above INT64_MAX), other numbers as doubles.
bool NumbersEqual(const Json& a, const Json& b) {
  if (!a.is_number_integer() || !b.is_number_integer()) return AsNumber(a) == AsNumber(b);
  if (a.is_number_unsigned() == b.is_number_unsigned()) return a == b;
  const Json& s = a.is_number_unsigned() ? b : a;
  const Json& u = a.is_number_unsigned() ? a : b;
  const int64_t sv = s.get<int64_t>();
  return sv >= 0 && static_cast<uint64_t>(sv) == u.get<uint64_t>();
}

bool ObjectsEqual(const Json& a, const Json& b) {
  if (Members(a).size() != Members(b).size()) return false;
  for (const auto& [key, value] : Members(a)) {
    const Json* other = FindMember(b, key);
    if (other == nullptr || !JsonEquals(value, *other)) return false;
  }
  return true;
}

}  // namespace

size_t JsonOffsets::Of(const Json& value) const {
  auto it = offsets_.find(&value);
  assert(it != offsets_.end() && "JsonOffsets::Of: not a value of the parsed document");
  return it == offsets_.end() ? 0 : it->second;
}

StatusOr<Json> ParseJson(std::string_view text, const JsonLimits& limits) {
  Json doc;
  RETURN_IF_ERROR(Parse(text, limits, &doc, nullptr));
  return doc;
}

Status ParseJsonWithOffsets(std::string_view text, const JsonLimits& limits, Json* out,
                            JsonOffsets* offsets) {
  std::vector<size_t> starts;
  RETURN_IF_ERROR(Parse(text, limits, out, &starts));
  JsonOffsetsBuilder::Assign(*out, starts, offsets);
  return Status::Ok();
}

std::string DumpJson(const Json& value) {
  try {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "null";  // only allocation can fail once invalid UTF-8 is replaced
  }
}

bool IsValidUtf8(std::string_view text) {
  try {
    (void)Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::strict);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool JsonEquals(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) return ObjectsEqual(a, b);
  if (a.is_array() && b.is_array()) {
    const Json::array_t& x = Elements(a);
    const Json::array_t& y = Elements(b);
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!JsonEquals(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_number() && b.is_number()) return NumbersEqual(a, b);
  return a == b;
}

const Json* FindMember(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  for (const auto& [k, v] : Members(object)) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Json* AtPath(const Json& value, std::initializer_list<std::string_view> path) {
  const Json* j = &value;
  for (std::string_view key : path) {
    j = FindMember(*j, key);
    if (j == nullptr) return nullptr;
  }
  return j;
}

const Json::object_t& Members(const Json& object) {
  static const Json::object_t kNone;
  return object.is_object() ? object.get_ref<const Json::object_t&>() : kNone;
}

const Json::array_t& Elements(const Json& array) {
  static const Json::array_t kNone;
  return array.is_array() ? array.get_ref<const Json::array_t&>() : kNone;
}

const std::string& AsString(const Json& value) {
  static const std::string kNone;
  return value.is_string() ? value.get_ref<const std::string&>() : kNone;
}

int64_t AsInt(const Json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    return u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? static_cast<int64_t>(u)
               : 0;
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  const double d = AsNumber(value);
  if (!(d > -9.2e18 && d < 9.2e18)) return 0;  // also NaN
  return static_cast<int64_t>(d);
}

double AsNumber(const Json& value) {
  if (value.is_number_unsigned()) return static_cast<double>(value.get<uint64_t>());
  if (value.is_number_integer()) return static_cast<double>(value.get<int64_t>());
  if (value.is_number_float()) return value.get<double>();
  return 0;
}

bool AsBool(const Json& value) { return value.is_boolean() && value.get<bool>(); }

std::string GetString(const Json& object, std::string_view key, std::string fallback) {
  const Json* j = FindMember(object, key);
  return j != nullptr && j->is_string() ? AsString(*j) : fallback;
}

int64_t GetInt(const Json& object, std::string_view key, int64_t fallback) {
  const Json* j = FindMember(object, key);
  return j != nullptr && j->is_number() ? AsInt(*j) : fallback;
}

double GetNumber(const Json& object, std::string_view key, double fallback) {
  const Json* j = FindMember(object, key);
  return j != nullptr && j->is_number() ? AsNumber(*j) : fallback;
}

bool GetBool(const Json& object, std::string_view key, bool fallback) {
  const Json* j = FindMember(object, key);
  return j != nullptr && j->is_boolean() ? AsBool(*j) : fallback;
}

void EraseMember(Json* object, std::string_view key) {
  if (!object->is_object()) return;
  auto& members = object->get_ref<Json::object_t&>();
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first == key) {
      members.erase(it);
      return;
    }
  }
}

}  // namespace neuropart
