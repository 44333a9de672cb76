#include "neuropart/model/init.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

namespace neuropart {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from the top 24 bits: exactly representable in fp32.
float UnitFloat(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }

// Salts keep the weight, bias and sparse-index streams apart.
constexpr uint64_t kWeightSalt = 0x57;
constexpr uint64_t kBiasSalt = 0xb1;
constexpr uint64_t kSparseSalt = 0x5a;

}  // namespace

uint64_t HashMix(uint64_t a, uint64_t b) { return SplitMix64(SplitMix64(a) ^ b); }

void InitNeuron(const Architecture& arch, uint64_t seed, int layer, int64_t neuron, float* weight,
                float* bias) {
  const int64_t fan_in = arch.FanIn(layer);
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  const uint64_t key = HashMix(HashMix(seed, static_cast<uint64_t>(layer)), neuron);
  for (int64_t j = 0; j < fan_in; ++j) {
    weight[j] = (2.0f * UnitFloat(HashMix(key ^ kWeightSalt, j)) - 1.0f) * bound;
  }
  *bias = (2.0f * UnitFloat(HashMix(key, kBiasSalt)) - 1.0f) * bound;
}

void SparseInputs(const Architecture& arch, int layer, int64_t neuron, int32_t* inputs) {
  const Connectivity& c = arch.layers[layer].connectivity;
  const int64_t n = arch.InputsOf(layer);
  const int64_t k = c.fan_in;
  const uint64_t key = HashMix(HashMix(c.seed ^ kSparseSalt, static_cast<uint64_t>(layer)), neuron);
  // Floyd's algorithm: k distinct values from [0, n) with exactly k draws.
  std::vector<int32_t> chosen;
  chosen.reserve(k);
  std::unordered_set<int64_t> seen;
  seen.reserve(k * 2);
  for (int64_t j = n - k, draw = 0; j < n; ++j, ++draw) {
    int64_t t = static_cast<int64_t>(HashMix(key, draw) % static_cast<uint64_t>(j + 1));
    int64_t pick = seen.count(t) ? j : t;
    seen.insert(pick);
    chosen.push_back(static_cast<int32_t>(pick));
  }
  std::sort(chosen.begin(), chosen.end());
  std::copy(chosen.begin(), chosen.end(), inputs);
}

}  // namespace neuropart
