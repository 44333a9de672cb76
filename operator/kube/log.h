// Logger: Kubernetes-style (klog) structured logs on stderr.
//
//   I1122 19:08:27.123456   4242 controller.cc:88] "Created object" kind="Pod" object="ml/np-0"
//
// Messages are capitalised and in the past tense; objects go in key="value" fields. Info lines
// carry a verbosity; those above the configured level are dropped. One Logger is made in main and
// passed to whoever logs. Thread-safe: each line is written with one call.
#ifndef NEUROPART_OPERATOR_KUBE_LOG_H_
#define NEUROPART_OPERATOR_KUBE_LOG_H_

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace neuropart::op {

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  // Writes to `out` (stderr in main, a temporary file in tests).
  explicit Logger(int verbosity, std::FILE* out = stderr) : verbosity_(verbosity), out_(out) {}

  void Info(std::string_view message, std::initializer_list<LogField> fields = {},
            const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
    Write('I', message, fields, file, line);
  }
  // Logged only when the verbosity is at least `v`.
  void V(int v, std::string_view message, std::initializer_list<LogField> fields = {},
         const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
    if (v <= verbosity_) Write('I', message, fields, file, line);
  }
  void Error(std::string_view message, std::initializer_list<LogField> fields = {},
             const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
    Write('E', message, fields, file, line);
  }

  int verbosity() const { return verbosity_; }

  // The line Write would print, without the time/pid header; for tests.
  static std::string Format(std::string_view message, std::initializer_list<LogField> fields);

 private:
  void Write(char severity, std::string_view message, std::initializer_list<LogField> fields,
             const char* file, int line) const;

  int verbosity_;
  std::FILE* out_;
  mutable std::mutex mu_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_LOG_H_
