// Json's value operations, and the adapter to cpprestsdk's web::json for parsing and printing.
// The only operator file besides kube/ that includes cpprest; every exception stops here.
#include "api/json.h"

#include <cpprest/json.h>

#include <cassert>
#include <cmath>
#include <exception>

namespace neuropart::op {

Json Json::Object(std::initializer_list<Member> members) {
  Json j;
  j.type_ = Type::kObject;
  for (const Member& m : members) j[m.first] = m.second;
  return j;
}

Json Json::Array(std::initializer_list<Json> elements) {
  Json j;
  j.type_ = Type::kArray;
  j.elements_.assign(elements.begin(), elements.end());
  return j;
}

int64_t Json::integer() const {
  if (type_ == Type::kInteger) return integer_;
  if (!(number_ > -9.2e18 && number_ < 9.2e18)) return 0;  // also NaN
  return static_cast<int64_t>(number_);
}

const Json* Json::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const Json* Json::At(std::initializer_list<std::string_view> path) const {
  const Json* j = this;
  for (std::string_view key : path) {
    j = j->Find(key);
    if (j == nullptr) return nullptr;
  }
  return j;
}

std::string Json::GetString(std::string_view key, std::string fallback) const {
  const Json* j = Find(key);
  return j != nullptr && j->is_string() ? j->string_ : fallback;
}

int64_t Json::GetInt(std::string_view key, int64_t fallback) const {
  const Json* j = Find(key);
  return j != nullptr && j->is_number() ? j->integer() : fallback;
}

double Json::GetNumber(std::string_view key, double fallback) const {
  const Json* j = Find(key);
  return j != nullptr && j->is_number() ? j->number() : fallback;
}

bool Json::GetBool(std::string_view key, bool fallback) const {
  const Json* j = Find(key);
  return j != nullptr && j->type_ == Type::kBool ? j->bool_ : fallback;
}

Json& Json::operator[](std::string_view key) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  assert(type_ == Type::kObject);
  for (Member& m : members_) {
    if (m.first == key) return m.second;
  }
  members_.emplace_back(std::string(key), Json());
  return members_.back().second;
}

void Json::Erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return;
    }
  }
}

void Json::Push(Json value) {
  if (type_ == Type::kNull) type_ = Type::kArray;
  assert(type_ == Type::kArray);
  elements_.push_back(std::move(value));
}

bool Json::operator==(const Json& o) const {
  if (is_number() && o.is_number()) {
    if (type_ == Type::kInteger && o.type_ == Type::kInteger) return integer_ == o.integer_;
    return number() == o.number();
  }
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return bool_ == o.bool_;
    case Type::kString:
      return string_ == o.string_;
    case Type::kArray:
      return elements_ == o.elements_;
    case Type::kObject: {
      if (members_.size() != o.members_.size()) return false;
      for (const Member& m : members_) {
        const Json* other = o.Find(m.first);
        if (other == nullptr || !(*other == m.second)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

namespace {

constexpr int kMaxDepth = 128;

StatusOr<Json> FromCpprest(const web::json::value& v, int depth) {
  if (depth > kMaxDepth)
    return CorruptionError("JSON nested deeper than " + std::to_string(kMaxDepth));
  switch (v.type()) {
    case web::json::value::Null:
      return Json();
    case web::json::value::Boolean:
      return Json(v.as_bool());
    case web::json::value::String:
      return Json(v.as_string());
    case web::json::value::Number: {
      const web::json::number& n = v.as_number();
      if (n.is_int64()) return Json(n.to_int64());
      return Json(n.to_double());
    }
    case web::json::value::Array: {
      Json out = Json::Array();
      for (const web::json::value& e : v.as_array()) {
        ASSIGN_OR_RETURN(Json item, FromCpprest(e, depth + 1));
        out.Push(std::move(item));
      }
      return out;
    }
    case web::json::value::Object: {
      Json out = Json::Object();
      for (const auto& [key, value] : v.as_object()) {
        ASSIGN_OR_RETURN(out[key], FromCpprest(value, depth + 1));
      }
      return out;
    }
  }
  return CorruptionError("JSON value of unknown type");
}

web::json::value ToCpprest(const Json& j) {
  switch (j.type()) {
    case Json::Type::kNull:
      return web::json::value::null();
    case Json::Type::kBool:
      return web::json::value::boolean(j.boolean());
    case Json::Type::kInteger:
      return web::json::value::number(j.integer());
    case Json::Type::kNumber:
      if (!std::isfinite(j.number())) return web::json::value::null();
      return web::json::value::number(j.number());
    case Json::Type::kString:
      return web::json::value::string(j.string());
    case Json::Type::kArray: {
      web::json::value out = web::json::value::array(j.elements().size());
      for (size_t i = 0; i < j.elements().size(); ++i) out[i] = ToCpprest(j.elements()[i]);
      return out;
    }
    case Json::Type::kObject: {
      // keep_order: members are printed in insertion order.
      web::json::value out = web::json::value::object(/*keep_order=*/true);
      for (const auto& [key, value] : j.members()) out[key] = ToCpprest(value);
      return out;
    }
  }
  return web::json::value::null();
}

}  // namespace

StatusOr<Json> ParseJson(std::string_view text) {
  try {
    std::error_code error;
    web::json::value v = web::json::value::parse(std::string(text), error);
    if (error) return CorruptionError("malformed JSON: " + error.message());
    return FromCpprest(v, 0);
  } catch (const std::exception& e) {
    return CorruptionError(std::string("malformed JSON: ") + e.what());
  }
}

std::string DumpJson(const Json& value) {
  try {
    return ToCpprest(value).serialize();
  } catch (const std::exception&) {
    return "null";  // serialising a well-formed value does not throw; never reached in practice
  }
}

}  // namespace neuropart::op
