// SourceMap: where each field path of a parsed YAML file came from, so that an error found after
// parsing (validation) still names the file and line. Plain data, filled by YamlReader.
#ifndef NEUROPART_YAML_SOURCE_MAP_H_
#define NEUROPART_YAML_SOURCE_MAP_H_

#include <map>
#include <string>

namespace neuropart {

// "spec.training.batchSize" -> line 12 of `file`.
struct SourceMap {
  std::string file;
  std::map<std::string, int> lines;

  // " (job.yaml:12)" for the longest known prefix of `path`, or "" if none.
  std::string Locate(const std::string& path) const;
};

}  // namespace neuropart

#endif  // NEUROPART_YAML_SOURCE_MAP_H_
