#include "neuropart/model/parameters.h"

#include "neuropart/model/init.h"

namespace neuropart {

LayerParams InitLayerRows(const Architecture& arch, uint64_t seed, int layer, int64_t begin,
                          int64_t end) {
  LayerParams p;
  p.first_neuron = begin;
  const int64_t rows = end - begin;
  const int64_t fan_in = arch.FanIn(layer);
  p.weight.resize(rows, fan_in);
  p.bias.resize(rows);
  if (arch.IsSparse(layer)) p.index.resize(rows, fan_in);
  for (int64_t r = 0; r < rows; ++r) {
    InitNeuron(arch, seed, layer, begin + r, p.weight.row(r).data(), &p.bias[r]);
    if (arch.IsSparse(layer)) SparseInputs(arch, layer, begin + r, p.index.row(r).data());
  }
  return p;
}

ModelParams InitModel(const Architecture& arch, uint64_t seed) {
  ModelParams params;
  for (int l = 0; l < arch.num_layers(); ++l) {
    params.push_back(InitLayerRows(arch, seed, l, 0, arch.layers[l].neurons));
  }
  return params;
}

}  // namespace neuropart
