// YamlReader: typed, path-aware reading of a YAML document (job files, plans, kubeconfigs).
//
// yaml_reader.cc is the one file that uses yaml-cpp: its exceptions become a Status there and
// its types never appear in a header. Parse returns the document's root; each accessor records
// the field's line in a SourceMap and returns InvalidArgument naming the field path and the file
// position on a wrong type or an unknown key. A reader is a cheap handle to a node of a parsed
// document (the document lives as long as any reader of it) plus its path; it is not
// thread-safe, and the SourceMap must outlive it.
#ifndef NEUROPART_YAML_YAML_READER_H_
#define NEUROPART_YAML_YAML_READER_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "neuropart/status.h"
#include "neuropart/yaml/source_map.h"

namespace YAML {
class Node;
}

namespace neuropart {

class YamlReader {
 public:
  // Parses one YAML document. Malformed text is InvalidArgument "file:line:column: what"; an
  // empty document is InvalidArgument "file: is empty". `source->file` names the text.
  static StatusOr<YamlReader> Parse(const std::string& text, SourceMap* source);

  YamlReader(const YamlReader&);
  YamlReader& operator=(const YamlReader&);
  ~YamlReader();

  const std::string& path() const { return path_; }
  bool Has(const char* key) const;

  // REQUIRES the node to be a map whose keys are all in `allowed`.
  Status ExpectMap(std::initializer_list<const char*> allowed) const;
  // A child map, list or value; Child() of a missing key yields a null node.
  YamlReader Child(const char* key) const;
  StatusOr<std::vector<YamlReader>> Items() const;  // REQUIRES a sequence

  // Scalars. `Optional*` leave *out unchanged when the key is absent.
  Status Required(const char* key, std::string* out) const;
  Status Required(const char* key, int64_t* out) const;
  Status Optional(const char* key, std::string* out) const;
  Status Optional(const char* key, int64_t* out) const;
  Status Optional(const char* key, int* out) const;
  Status Optional(const char* key, uint64_t* out) const;
  Status Optional(const char* key, double* out) const;
  Status Optional(const char* key, bool* out) const;
  // This node itself as a scalar.
  StatusOr<std::string> AsString() const;
  StatusOr<int64_t> AsInt() const;
  StatusOr<double> AsDouble() const;

  // "spec.x.y: <message> (file:line)" at this node.
  Status Error(const std::string& message) const;

 private:
  YamlReader(const YAML::Node& node, std::string path, SourceMap* source);
  YamlReader Field(const char* key) const;
  Status Missing(const char* key) const;

  std::unique_ptr<YAML::Node> node_;
  std::string path_;
  SourceMap* source_;
};

}  // namespace neuropart

#endif  // NEUROPART_YAML_YAML_READER_H_
