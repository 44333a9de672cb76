// Json: the operator's JSON document type (Kubernetes objects, patches, the coordinator's status).
//
// A small value type — null, bool, integer, number, string, array, object (members kept in
// insertion order) — so that headers never include cpprestsdk. Parsing and printing are done by
// json.cc, the one adapter file that uses cpprestsdk's web::json; its exceptions become a Status
// there. Values are plain data: copyable, comparable, not synchronised.
#ifndef NEUROPART_OPERATOR_API_JSON_H_
#define NEUROPART_OPERATOR_API_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::op {

class Json {
 public:
  enum class Type { kNull, kBool, kInteger, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  Json() = default;
  Json(std::nullptr_t) {}                                    // NOLINT: implicit by design
  Json(bool b) : type_(Type::kBool), bool_(b) {}             // NOLINT
  Json(int i) : type_(Type::kInteger), integer_(i) {}        // NOLINT
  Json(int64_t i) : type_(Type::kInteger), integer_(i) {}    // NOLINT
  Json(double d) : type_(Type::kNumber), number_(d) {}       // NOLINT
  Json(const char* s) : type_(Type::kString), string_(s) {}  // NOLINT
  Json(std::string s) : type_(Type::kString), string_(std::move(s)) {}  // NOLINT
  // An object from key/value pairs: Json::Object({{"name", "np"}, {"replicas", 2}}).
  static Json Object(std::initializer_list<Member> members = {});
  static Json Array(std::initializer_list<Json> elements = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kInteger || type_ == Type::kNumber; }

  // REQUIRES: the matching type (is_string() for string(), ...).
  bool boolean() const { return bool_; }
  // A number that is not an integer is truncated; NaN and out-of-range values read as 0.
  int64_t integer() const;
  double number() const {
    return type_ == Type::kInteger ? static_cast<double>(integer_) : number_;
  }
  const std::string& string() const { return string_; }
  const std::vector<Json>& elements() const { return elements_; }
  const std::vector<Member>& members() const { return members_; }

  // Object member `key`, or nullptr (also when this is not an object).
  const Json* Find(std::string_view key) const;
  // Follows a path of object keys: At({"status", "phase"}); nullptr when any step is missing.
  const Json* At(std::initializer_list<std::string_view> path) const;
  // Typed lookups of a member that return `fallback` when it is missing or of another type.
  std::string GetString(std::string_view key, std::string fallback = "") const;
  int64_t GetInt(std::string_view key, int64_t fallback = 0) const;
  double GetNumber(std::string_view key, double fallback = 0) const;
  bool GetBool(std::string_view key, bool fallback = false) const;

  // Mutable member `key`; a null value becomes an object first. REQUIRES: is_object() or null.
  Json& operator[](std::string_view key);
  // Removes member `key` if present.
  void Erase(std::string_view key);
  // Appends; a null value becomes an array first. REQUIRES: is_array() or null.
  void Push(Json value);

  bool operator==(const Json& other) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t integer_ = 0;
  double number_ = 0;
  std::string string_;
  std::vector<Json> elements_;
  std::vector<Member> members_;
};

// Parses one JSON document. Corruption names the position for malformed text.
StatusOr<Json> ParseJson(std::string_view text);
// Compact JSON text. Non-finite numbers are written as null.
std::string DumpJson(const Json& value);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_API_JSON_H_
