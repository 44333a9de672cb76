// Architecture: the shape of a model, independent of its weights and of any plan.
//
// Layers are numbered 0..L-1; layer 0 reads the input (inputSize features, replicated on every
// partition, never owned). A neuron is (layer, index); its global id is LayerOffset(layer) + index.
// The last layer may use softmax, which always pairs with the mean cross-entropy loss.
// Plain value type; immutable after Validate(), safe to share between threads.
#ifndef NEUROPART_MODEL_ARCHITECTURE_H_
#define NEUROPART_MODEL_ARCHITECTURE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/status.h"

namespace neuropart {

enum class Activation { kRelu, kTanh, kSigmoid, kIdentity, kSoftmax };

StatusOr<Activation> ParseActivation(std::string_view name);
std::string_view ActivationName(Activation a);

struct Connectivity {
  enum class Type { kDense, kSparse };
  Type type = Type::kDense;
  int64_t fan_in = 0;  // sparse only: inputs per neuron, drawn without repetition
  uint64_t seed = 0;   // sparse only: which inputs (see model/init.h SparseInputs)
};

struct LayerSpec {
  std::string name;
  int64_t neurons = 0;
  Activation activation = Activation::kRelu;
  Connectivity connectivity;
};

struct Architecture {
  int64_t input_size = 0;
  std::vector<LayerSpec> layers;

  int num_layers() const { return static_cast<int>(layers.size()); }
  // Width of the layer feeding layer `l` (input_size for l = 0).
  int64_t InputsOf(int l) const { return l == 0 ? input_size : layers[l - 1].neurons; }
  // Weights per neuron of layer `l`: InputsOf(l) if dense, fan_in if sparse.
  int64_t FanIn(int l) const;
  bool IsSparse(int l) const { return layers[l].connectivity.type == Connectivity::Type::kSparse; }
  int64_t LayerOffset(int l) const;
  int64_t TotalNeurons() const;
  // Weights + biases of the whole model.
  int64_t TotalParameters() const;
  // Index of the layer called `name`, or nullopt.
  std::optional<int> FindLayer(std::string_view name) const;
  int64_t output_size() const { return layers.back().neurons; }

  // Checks sizes, unique names, fan-in bounds and softmax placement. Messages name the layer
  // ("layers[2] (h3): ..."); callers add the field path.
  Status Validate() const;
};

}  // namespace neuropart

#endif  // NEUROPART_MODEL_ARCHITECTURE_H_
