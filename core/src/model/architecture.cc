#include "neuropart/model/architecture.h"

#include <set>

#include "neuropart/base/limits.h"

namespace neuropart {

StatusOr<Activation> ParseActivation(std::string_view name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "identity") return Activation::kIdentity;
  if (name == "softmax") return Activation::kSoftmax;
  return InvalidArgumentError("unknown activation \"" + std::string(name) +
                              "\" (want relu, tanh, sigmoid, identity or softmax)");
}

std::string_view ActivationName(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kIdentity:
      return "identity";
    case Activation::kSoftmax:
      return "softmax";
  }
  return "?";
}

int64_t Architecture::FanIn(int l) const {
  return IsSparse(l) ? layers[l].connectivity.fan_in : InputsOf(l);
}

int64_t Architecture::LayerOffset(int l) const {
  int64_t offset = 0;
  for (int i = 0; i < l; ++i) offset += layers[i].neurons;
  return offset;
}

int64_t Architecture::TotalNeurons() const { return LayerOffset(num_layers()); }

int64_t Architecture::TotalParameters() const {
  int64_t total = 0;
  for (int l = 0; l < num_layers(); ++l) total += layers[l].neurons * (FanIn(l) + 1);
  return total;
}

std::optional<int> Architecture::FindLayer(std::string_view name) const {
  for (int l = 0; l < num_layers(); ++l) {
    if (layers[l].name == name) return l;
  }
  return std::nullopt;
}

Status Architecture::Validate() const {
  if (input_size < 1) {
    return InvalidArgumentError("inputSize: must be >= 1, got " + std::to_string(input_size));
  }
  if (input_size > kMaxInputSize) {
    return InvalidArgumentError("inputSize: must be <= " + std::to_string(kMaxInputSize) +
                                ", got " + std::to_string(input_size));
  }
  if (layers.empty()) return InvalidArgumentError("layers: must have at least one layer");
  std::set<std::string> names;
  for (int l = 0; l < num_layers(); ++l) {
    const LayerSpec& layer = layers[l];
    std::string where = "layers[" + std::to_string(l) + "]";
    if (layer.name.empty()) return InvalidArgumentError(where + ".name: must not be empty");
    // Checked before the name is quoted in any message: it goes into plans, JSON (plan.yaml,
    // checkpoint headers, which must not alter it) and metrics.
    for (const char c : layer.name) {
      if (c < ' ' || c > '~') {
        return InvalidArgumentError(
            where + ".name: must be printable ASCII (letters, digits, punctuation)");
      }
    }
    where += " (" + layer.name + ")";
    if (!names.insert(layer.name).second) {
      return InvalidArgumentError(where + ".name: duplicate layer name");
    }
    if (layer.name.find_first_of(":-* ") != std::string::npos) {
      return InvalidArgumentError(where + ".name: must not contain ':', '-', '*' or spaces");
    }
    if (layer.neurons < 1) {
      return InvalidArgumentError(where + ".neurons: must be >= 1, got " +
                                  std::to_string(layer.neurons));
    }
    if (layer.neurons > kMaxLayerNeurons) {
      return InvalidArgumentError(where + ".neurons: must be <= " +
                                  std::to_string(kMaxLayerNeurons) + ", got " +
                                  std::to_string(layer.neurons));
    }
    if (IsSparse(l)) {
      int64_t fan_in = layer.connectivity.fan_in;
      if (fan_in < 1 || fan_in > InputsOf(l)) {
        return InvalidArgumentError(where + ".connectivity.fanIn: must be in [1, " +
                                    std::to_string(InputsOf(l)) + "], got " +
                                    std::to_string(fan_in));
      }
    }
    if (layer.activation == Activation::kSoftmax && l != num_layers() - 1) {
      return InvalidArgumentError(where + ".activation: softmax is allowed only on the last layer");
    }
  }
  return Status::Ok();
}

}  // namespace neuropart
