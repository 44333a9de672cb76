#include "kube/log.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>

namespace neuropart::op {
namespace {

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

std::string Logger::Format(std::string_view message, std::initializer_list<LogField> fields) {
  std::string out;
  AppendQuoted(&out, message);
  for (const LogField& f : fields) {
    out.push_back(' ');
    out.append(f.first);
    out.push_back('=');
    AppendQuoted(&out, f.second);
  }
  return out;
}

void Logger::Write(char severity, std::string_view message, std::initializer_list<LogField> fields,
                   const char* file, int line) const {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const long micros = static_cast<long>(
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const char* base = std::strrchr(file, '/');
  char header[96];
  std::snprintf(header, sizeof(header), "%c%02d%02d %02d:%02d:%02d.%06ld %7d %s:%d] ", severity,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros,
                static_cast<int>(getpid()), base != nullptr ? base + 1 : file, line);
  std::string text = header + Format(message, fields) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace neuropart::op
