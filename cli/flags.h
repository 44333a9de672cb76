// Flags: a small command-line parser for neuropart's subcommands.
//
// Accepts `--name value`, `--name=value`, boolean `--name`, and positionals; every flag must be
// declared, so a typo is an error rather than silently ignored. Not thread-safe (used in main).
#ifndef NEUROPART_CLI_FLAGS_H_
#define NEUROPART_CLI_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::cli {

class Flags {
 public:
  // Declares a flag taking a value, with its default and help line.
  void Value(const std::string& name, const std::string& fallback, const std::string& help);
  // Declares a boolean flag.
  void Bool(const std::string& name, const std::string& help);

  Status Parse(const std::vector<std::string>& args);

  const std::string& Get(const std::string& name) const { return values_.at(name); }
  bool IsSet(const std::string& name) const { return set_.count(name) > 0; }
  StatusOr<int64_t> GetInt(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // One line per flag: "  --name VALUE   help (default: x)".
  std::string Help() const;

 private:
  struct Spec {
    bool takes_value;
    std::string fallback;
    std::string help;
  };
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> set_;
  std::vector<std::string> positionals_;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_FLAGS_H_
