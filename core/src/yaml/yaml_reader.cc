// The yaml-cpp adapter: the only file that includes yaml-cpp; no YAML::Exception leaves it.
#include "neuropart/yaml/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace neuropart {
namespace {

std::string SubPath(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string Join(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::string Position(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// yaml-cpp keeps every entry of a map but looks keys up by the first, so a repeated key would be
// silently ignored. Aliases share their node, and `seen` (start offsets of visited collections)
// lets each be checked once: an alias bomb costs its text, not its expansion.
Status CheckUniqueKeys(const YAML::Node& node, const std::string& file, std::set<int>* seen) {
  if (!node.IsMap() && !node.IsSequence()) return Status::Ok();
  if (!seen->insert(node.Mark().pos).second) return Status::Ok();
  std::map<std::string, int> first_line;
  for (const auto& entry : node) {
    if (node.IsSequence()) {
      RETURN_IF_ERROR(CheckUniqueKeys(entry, file, seen));
      continue;
    }
    if (entry.first.IsScalar()) {
      const YAML::Mark mark = entry.first.Mark();
      auto [it, first] = first_line.emplace(entry.first.Scalar(), mark.line + 1);
      if (!first) {
        return InvalidArgumentError(Position(file, mark) + ": duplicate key \"" + it->first +
                                    "\" (first at line " + std::to_string(it->second) + ")");
      }
    }
    RETURN_IF_ERROR(CheckUniqueKeys(entry.second, file, seen));
  }
  return Status::Ok();
}

}  // namespace

std::string SourceMap::Locate(const std::string& path) const {
  std::string p = path;
  while (!p.empty()) {
    auto it = lines.find(p);
    if (it != lines.end()) return " (" + file + ":" + std::to_string(it->second) + ")";
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return "";
}

StatusOr<YamlReader> YamlReader::Parse(const std::string& text, SourceMap* source) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      return InvalidArgumentError(source->file + ": is empty");
    }
    std::set<int> seen;
    RETURN_IF_ERROR(CheckUniqueKeys(root, source->file, &seen));
    return YamlReader(root, "", source);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(Position(source->file, e.mark) + ": " + e.msg);
  }
}

YamlReader::YamlReader(const YAML::Node& node, std::string path, SourceMap* source)
    : node_(std::make_unique<YAML::Node>(node)), path_(std::move(path)), source_(source) {
  if (node_->IsDefined() && !node_->IsNull()) source_->lines[path_] = node_->Mark().line + 1;
}

YamlReader::YamlReader(const YamlReader& other)
    : node_(std::make_unique<YAML::Node>(*other.node_)),
      path_(other.path_),
      source_(other.source_) {}

YamlReader& YamlReader::operator=(const YamlReader& other) {
  if (this != &other) {
    node_ = std::make_unique<YAML::Node>(*other.node_);
    path_ = other.path_;
    source_ = other.source_;
  }
  return *this;
}

YamlReader::~YamlReader() = default;

bool YamlReader::Has(const char* key) const {
  const YAML::Node& node = *node_;  // const: a missing key is not inserted
  return node.IsMap() && node[key].IsDefined();
}

Status YamlReader::Error(const std::string& message) const {
  return InvalidArgumentError(path_ + ": " + message + source_->Locate(path_));
}

Status YamlReader::Missing(const char* key) const {
  return InvalidArgumentError(SubPath(path_, key) + ": is required" + source_->Locate(path_));
}

Status YamlReader::ExpectMap(std::initializer_list<const char*> allowed) const {
  if (!node_->IsMap()) return Error("must be a mapping");
  for (const auto& kv : *node_) {
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (const char* a : allowed) known |= key == a;
    if (!known) {
      const std::string where =
          " (" + source_->file + ":" + std::to_string(kv.first.Mark().line + 1) + ")";
      return InvalidArgumentError(SubPath(path_, key.c_str()) +
                                  ": unknown field (known: " + Join(allowed) + ")" + where);
    }
  }
  return Status::Ok();
}

YamlReader YamlReader::Field(const char* key) const {
  // const access: a missing key yields an invalid node instead of inserting one; it is replaced
  // by a null node, which every accessor can inspect without throwing.
  const YAML::Node& node = *node_;
  YAML::Node child = node.IsMap() ? node[key] : YAML::Node();
  return YamlReader(child.IsDefined() ? child : YAML::Node(), SubPath(path_, key), source_);
}

YamlReader YamlReader::Child(const char* key) const { return Field(key); }

StatusOr<std::vector<YamlReader>> YamlReader::Items() const {
  if (!node_->IsSequence()) return Error("must be a list");
  std::vector<YamlReader> items;
  for (size_t i = 0; i < node_->size(); ++i) {
    const YAML::Node& node = *node_;
    items.push_back(YamlReader(node[i], path_ + "[" + std::to_string(i) + "]", source_));
  }
  return items;
}

StatusOr<std::string> YamlReader::AsString() const {
  if (!node_->IsScalar()) return Error("must be a single value");
  return node_->Scalar();
}

StatusOr<int64_t> YamlReader::AsInt() const {
  ASSIGN_OR_RETURN(std::string s, AsString());
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return Error("must be an integer, got \"" + s + "\"");
  }
  return v;
}

StatusOr<double> YamlReader::AsDouble() const {
  ASSIGN_OR_RETURN(std::string s, AsString());
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || !std::isfinite(v)) {
    return Error("must be a number, got \"" + s + "\"");
  }
  return v;
}

Status YamlReader::Required(const char* key, std::string* out) const {
  if (!Has(key)) return Missing(key);
  return Optional(key, out);
}

Status YamlReader::Required(const char* key, int64_t* out) const {
  if (!Has(key)) return Missing(key);
  return Optional(key, out);
}

Status YamlReader::Optional(const char* key, std::string* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(*out, Field(key).AsString());
  return Status::Ok();
}

Status YamlReader::Optional(const char* key, int64_t* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(*out, Field(key).AsInt());
  return Status::Ok();
}

Status YamlReader::Optional(const char* key, int* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(int64_t v, Field(key).AsInt());
  if (v < INT32_MIN || v > INT32_MAX) return Field(key).Error("is out of range");
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status YamlReader::Optional(const char* key, uint64_t* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(int64_t v, Field(key).AsInt());
  if (v < 0) return Field(key).Error("must be >= 0, got " + std::to_string(v));
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}

Status YamlReader::Optional(const char* key, double* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(*out, Field(key).AsDouble());
  return Status::Ok();
}

Status YamlReader::Optional(const char* key, bool* out) const {
  if (!Has(key)) return Status::Ok();
  ASSIGN_OR_RETURN(std::string s, Field(key).AsString());
  if (s != "true" && s != "false") {
    return Field(key).Error("must be true or false, got \"" + s + "\"");
  }
  *out = s == "true";
  return Status::Ok();
}

}  // namespace neuropart
