// Report lines: how a worker tells its launcher what happened, on stdout.
//
//   @np progress step=12 total=940 epoch=0 loss=0.5123 samples=64 step_s=0.011 wait_s=0.002
//   @np result steps=940 final_loss=0.31 test_loss=0.36 test_accuracy=0.87 export=/s/model...
//
// One record per line, a kind then key=value fields (values never contain spaces). Other lines
// are ordinary log output. Pure functions; thread-safe.
#ifndef NEUROPART_LIFECYCLE_REPORT_LINE_H_
#define NEUROPART_LIFECYCLE_REPORT_LINE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace neuropart {

struct ReportLine {
  std::string kind;
  std::map<std::string, std::string> fields;

  double Number(const std::string& key, double fallback = 0) const;
  // The field's text, or "" when absent.
  std::string Text(const std::string& key) const;
};

std::string FormatReportLine(const std::string& kind,
                             const std::vector<std::pair<std::string, std::string>>& fields);
// nullopt for lines that are not records.
std::optional<ReportLine> ParseReportLine(const std::string& line);

}  // namespace neuropart

#endif  // NEUROPART_LIFECYCLE_REPORT_LINE_H_
