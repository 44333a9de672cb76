#include "neuropart/lifecycle/report_line.h"

#include <cstdlib>
#include <sstream>

namespace neuropart {

namespace {
constexpr const char* kPrefix = "@np ";
}

double ReportLine::Number(const std::string& key, double fallback) const {
  auto it = fields.find(key);
  if (it == fields.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  return end && *end == '\0' ? v : fallback;
}

std::string FormatReportLine(const std::string& kind,
                             const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = kPrefix + kind;
  for (const auto& [k, v] : fields) out += " " + k + "=" + v;
  return out;
}

std::optional<ReportLine> ParseReportLine(const std::string& line) {
  if (line.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::istringstream in(line.substr(4));
  ReportLine r;
  if (!(in >> r.kind)) return std::nullopt;
  std::string item;
  while (in >> item) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    r.fields[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return r;
}

std::string ReportLine::Text(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

}  // namespace neuropart
