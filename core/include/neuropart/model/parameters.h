// LayerParams: the weights of a contiguous run of neurons of one layer.
//
// Row r holds neuron first_neuron + r. `weight` is [rows, FanIn(layer)] row-major fp32 (PyTorch's
// nn.Linear layout); for sparse layers `index` is [rows, fan_in] int32 with the input indices
// (ascending per row), empty for dense layers. A whole model is one LayerParams per layer with
// first_neuron = 0. Plain values; not synchronised.
#ifndef NEUROPART_MODEL_PARAMETERS_H_
#define NEUROPART_MODEL_PARAMETERS_H_

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "neuropart/model/architecture.h"

namespace neuropart {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorF = Eigen::VectorXf;
using IndexMatrix = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct LayerParams {
  int64_t first_neuron = 0;
  MatrixF weight;
  VectorF bias;
  IndexMatrix index;  // sparse layers only

  int64_t rows() const { return weight.rows(); }
};

using ModelParams = std::vector<LayerParams>;

// Neurons [begin, end) of `layer`, initialised from `seed` (see model/init.h); plan-independent.
LayerParams InitLayerRows(const Architecture& arch, uint64_t seed, int layer, int64_t begin,
                          int64_t end);
// Every layer, whole.
ModelParams InitModel(const Architecture& arch, uint64_t seed);

}  // namespace neuropart

#endif  // NEUROPART_MODEL_PARAMETERS_H_
