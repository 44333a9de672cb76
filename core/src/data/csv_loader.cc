// Numeric CSV: comma-separated cells, no quoting (a quoted header simply fails to parse as
// numbers and is skipped as the header).
#include <charconv>
#include <cmath>
#include <vector>

#include "neuropart/data/dataset.h"
#include "neuropart/store/file_util.h"

namespace neuropart {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

using Cells = std::vector<std::string_view>;

Cells SplitCells(std::string_view line) {
  Cells cells;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    cells.push_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

// A finite number filling the whole cell.
bool ParseNumber(std::string_view cell, double* out) {
  if (cell.empty()) return false;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), *out);
  return ec == std::errc() && end == cell.data() + cell.size() && std::isfinite(*out);
}

bool AllNumbers(const std::vector<std::string_view>& cells) {
  double unused;
  for (std::string_view c : cells) {
    if (!ParseNumber(c, &unused)) return false;
  }
  return true;
}

class CsvReader {
 public:
  CsvReader(std::string path, int label_column)
      : path_(std::move(path)), label_column_(label_column) {}

  Status AddLine(int64_t line_no, const std::vector<std::string_view>& cells) {
    if (columns_ == 0) RETURN_IF_ERROR(SetColumns(line_no, cells.size()));
    if (cells.size() != columns_) {
      return LineError(
          line_no, std::to_string(cells.size()) + " columns, expected " + std::to_string(columns_));
    }
    for (size_t c = 0; c < cells.size(); ++c) {
      double v;
      if (!ParseNumber(cells[c], &v)) {
        return CellError(line_no, c, "cannot parse \"" + std::string(cells[c]) + "\" as a number");
      }
      if (static_cast<int>(c) != label_column_) {
        // Features are fp32: a finite double beyond its range would become an infinity.
        const float f = static_cast<float>(v);
        if (!std::isfinite(f)) {
          return CellError(line_no, c,
                           std::string(cells[c]) + " is outside the range of a 32-bit float");
        }
        features_.push_back(f);
      } else if (v < 0 || v > INT32_MAX - 1 || v != std::floor(v)) {
        return CellError(line_no, c,
                         "label \"" + std::string(cells[c]) + "\" is not a non-negative integer");
      } else {
        labels_.push_back(static_cast<int32_t>(v));
      }
    }
    return Status::Ok();
  }

  StatusOr<Dataset> Finish() {
    if (labels_.empty()) return InvalidArgumentError(path_ + ": contains no data lines");
    Dataset ds;
    const int64_t n = static_cast<int64_t>(labels_.size());
    ds.x = Eigen::Map<MatrixF>(features_.data(), n, static_cast<int64_t>(columns_ - 1));
    ds.labels = std::move(labels_);
    for (int32_t l : ds.labels) ds.num_classes = std::max<int64_t>(ds.num_classes, l + 1);
    return ds;
  }

 private:
  Status SetColumns(int64_t line_no, size_t columns) {
    if (columns < 2) return LineError(line_no, "needs a label and at least one feature");
    if (label_column_ < 0 || static_cast<size_t>(label_column_) >= columns) {
      return InvalidArgumentError(path_ + ": label column " + std::to_string(label_column_) +
                                  " outside the " + std::to_string(columns) + " columns of line " +
                                  std::to_string(line_no));
    }
    columns_ = columns;
    return Status::Ok();
  }
  Status LineError(int64_t line_no, const std::string& what) const {
    return CorruptionError(path_ + ": line " + std::to_string(line_no) + ": " + what);
  }
  // Columns are counted from 1 in messages, as editors and spreadsheets do.
  Status CellError(int64_t line_no, size_t c, const std::string& what) const {
    return CorruptionError(path_ + ": line " + std::to_string(line_no) + ", column " +
                           std::to_string(c + 1) + ": " + what);
  }

  std::string path_;
  int label_column_;
  size_t columns_ = 0;
  std::vector<float> features_;
  std::vector<int32_t> labels_;
};

// Calls add(line_no, cells) for each line of `text` that is not blank, lines counted from 1.
template <typename Add>
Status ForEachLine(std::string_view text, Add add) {
  int64_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!Trim(line).empty()) RETURN_IF_ERROR(add(line_no, SplitCells(line)));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Dataset> LoadCsv(const std::string& path, int label_column) {
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseCsv(text, path, label_column);
}

StatusOr<Dataset> ParseCsv(std::string_view text, const std::string& path, int label_column) {
  CsvReader reader(path, label_column);
  bool first = true;
  RETURN_IF_ERROR(ForEachLine(text, [&](int64_t line_no, const Cells& cells) {
    const bool header = first && !AllNumbers(cells);
    first = false;
    return header ? Status::Ok() : reader.AddLine(line_no, cells);
  }));
  return reader.Finish();
}

StatusOr<MatrixF> LoadCsvRows(const std::string& path, int64_t features) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<float> values;
  RETURN_IF_ERROR(ForEachLine(text, [&](int64_t line_no, const Cells& cells) {
    const std::string at = path + ":" + std::to_string(line_no) + ": ";
    if (static_cast<int64_t>(cells.size()) != features) {
      return InvalidArgumentError(at + "want " + std::to_string(features) +
                                  " columns (spec.model.inputSize), got " +
                                  std::to_string(cells.size()));
    }
    for (size_t c = 0; c < cells.size(); ++c) {
      double v;
      if (!ParseNumber(cells[c], &v)) {
        return InvalidArgumentError(at + "column " + std::to_string(c + 1) +
                                    " is not a finite number: \"" + std::string(cells[c]) + "\"");
      }
      values.push_back(static_cast<float>(v));
    }
    return Status::Ok();
  }));
  if (values.empty()) return InvalidArgumentError(path + ": no rows");
  MatrixF x(static_cast<int64_t>(values.size()) / features, features);
  std::copy(values.begin(), values.end(), x.data());
  return x;
}

}  // namespace neuropart
