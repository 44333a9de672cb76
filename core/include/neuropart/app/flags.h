// Flags: the command line of every neuropart program (neuropart and its subcommands,
// neuropart-worker, neuropart-operator), parsed by CLI11 in flags.cc, the one file that uses it.
//
// A program declares its flags bound to typed variables, then calls ParseOrExit: `--help` and
// `--version` print to stdout and exit 0; a bad command line prints what was wrong and the usage
// to stderr and exits 2. Flags accept `--name value` and `--name=value`; a flag declared with an
// environment variable reads it when the flag is absent (the flag wins). Unknown flags and extra
// arguments are errors, so a typo is never silently ignored. Not thread-safe (used in main).
#ifndef NEUROPART_APP_FLAGS_H_
#define NEUROPART_APP_FLAGS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/status.h"

namespace CLI {
class App;
}

namespace neuropart {

class Flags {
 public:
  // `program` is how the usage line names it ("neuropart plan"); `about` opens the help.
  Flags(std::string program, std::string about);
  ~Flags();
  Flags(const Flags&) = delete;
  Flags& operator=(const Flags&) = delete;

  // Declares `--name` (or "-o,--name" for a short alias too). The variable's value before
  // parsing is the default shown in the help. `env`, when given, is read if the flag is absent.
  void String(const std::string& names, std::string* out, const std::string& help,
              const char* env = nullptr);
  void Int(const std::string& names, int64_t* out, const std::string& help,
           const char* env = nullptr);
  void Int(const std::string& names, int* out, const std::string& help,
           const char* env = nullptr);
  // A flag without a value: present means true (`--name=false` also works).
  void Bool(const std::string& names, bool* out, const std::string& help);
  // A required positional argument.
  void Positional(const std::string& name, std::string* out, const std::string& help);
  // Text printed after the flags in the help (examples, exit codes).
  void Footer(const std::string& text);

  // Parses `args` (without the program's own name). Help and version requests are not errors:
  // they set help_requested() / version_requested(). InvalidArgument names the flag.
  Status Parse(const std::vector<std::string>& args);
  // Parse, then print help/version (exit 0) or the error and usage (exit 2): returns the exit
  // code when the program should stop now, nullopt when it should go on.
  std::optional<int> ParseOrExit(const std::vector<std::string>& args);

  bool help_requested() const { return help_requested_; }
  bool version_requested() const { return version_requested_; }
  // True when the flag was given on the command line or through its environment variable.
  bool IsSet(const std::string& name) const;
  std::string Help() const;

 private:
  std::unique_ptr<CLI::App> app_;
  bool help_requested_ = false;
  bool version_requested_ = false;
};

// "neuropart 0.1.0".
std::string VersionLine();

}  // namespace neuropart

#endif  // NEUROPART_APP_FLAGS_H_
