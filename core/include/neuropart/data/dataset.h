// Dataset: labelled samples for training and evaluation, loaded whole into memory.
//
// x is [samples, features] row-major fp32 (the layout the engine multiplies by W^T); labels[i]
// is the class of row i, in [0, num_classes). Loaders read IDX (MNIST / Fashion-MNIST, raw or
// gzip-compressed) and numeric CSV, and never trust the file: a malformed one gives Corruption
// naming the path and the byte offset or line and column. MakeSynthetic builds a learnable
// problem for tests and benchmarks, deterministic in its seed. Plain values, not synchronised;
// the functions are thread-safe.
#ifndef NEUROPART_DATA_DATASET_H_
#define NEUROPART_DATA_DATASET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/model/parameters.h"
#include "neuropart/status.h"

namespace neuropart {

struct Dataset {
  MatrixF x;
  std::vector<int32_t> labels;
  int64_t num_classes = 0;  // max label + 1 for loaded data

  int64_t size() const { return x.rows(); }
  int64_t features() const { return x.cols(); }
};

// IDX images (magic 0x00000803, [count, rows, cols] unsigned bytes, scaled to [0, 1] by /255)
// and labels (magic 0x00000801, [count] unsigned bytes). Each file may be gzip-compressed
// (detected by its 1f 8b magic). The counts must agree and the files must hold exactly the
// bytes their headers announce.
StatusOr<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path);
// LoadIdx over the files' contents; the paths only name them in messages.
StatusOr<Dataset> ParseIdx(std::string_view images, std::string_view labels,
                           const std::string& images_path, const std::string& labels_path);

// Numeric CSV, one sample per line; column `label_column` (0-based) holds the class, a
// non-negative integer, the others the features. A first line that does not parse as numbers is
// taken as a header and skipped; blank lines are ignored; every line must have the same number
// of columns. InvalidArgument if label_column is outside the columns.
StatusOr<Dataset> LoadCsv(const std::string& path, int label_column);
// LoadCsv over the file's contents; `path` only names it in messages.
StatusOr<Dataset> ParseCsv(std::string_view text, const std::string& path, int label_column);

// Unlabelled input rows (`neuropart infer --input`): `features` numbers a line, no header; blank
// lines are ignored and CRLF line ends accepted, as by LoadCsv. InvalidArgument "<path>:<line>: "
// for a line of another width or a cell that is not a finite number (naming its column, counted
// from 1), and "<path>: no rows" when there are none.
StatusOr<MatrixF> LoadCsvRows(const std::string& path, int64_t features);

// `samples` points in `features` dimensions around one random centre per class, plus Gaussian
// noise; the same arguments always give the same dataset. num_classes = `classes`.
// REQUIRES: samples >= 0, features >= 1, classes >= 1.
Dataset MakeSynthetic(int64_t samples, int64_t features, int64_t classes, uint64_t seed);

}  // namespace neuropart

#endif  // NEUROPART_DATA_DATASET_H_
