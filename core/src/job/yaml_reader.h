// YamlReader: typed, path-aware access to a yaml-cpp document for the job-file parser.
//
// Each accessor records the field's line in a SourceMap and returns InvalidArgument naming the
// field path and the file position on a wrong type or an unknown key. Internal to core/src/job;
// yaml-cpp exceptions never leave this file's implementation.
#ifndef NEUROPART_CORE_SRC_JOB_YAML_READER_H_
#define NEUROPART_CORE_SRC_JOB_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "neuropart/job/job_spec.h"
#include "neuropart/status.h"

namespace neuropart {

class YamlReader {
 public:
  // `node` must outlive the reader; `source` receives the line of every field visited.
  YamlReader(YAML::Node node, std::string path, SourceMap* source);

  const std::string& path() const { return path_; }
  bool Has(const char* key) const { return node_.IsMap() && node_[key].IsDefined(); }

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
  YamlReader Field(const char* key) const;
  Status Missing(const char* key) const;

  YAML::Node node_;
  std::string path_;
  SourceMap* source_;
};

}  // namespace neuropart

#endif  // NEUROPART_CORE_SRC_JOB_YAML_READER_H_
