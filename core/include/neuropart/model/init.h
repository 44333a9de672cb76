// Plan-independent initialisation and sparse connectivity.
//
// Every value here depends only on (seed, layer, neuron index, position), through a counter-based
// hash, so any partition can produce exactly its own rows and get the same numbers as the
// single-process trainer, whatever the plan. Pure functions; thread-safe.
#ifndef NEUROPART_MODEL_INIT_H_
#define NEUROPART_MODEL_INIT_H_

#include <cstdint>

#include "neuropart/model/architecture.h"

namespace neuropart {

// Fills weight[0..FanIn(layer)) and *bias for neuron `neuron` of `layer` with PyTorch
// nn.Linear's default distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void InitNeuron(const Architecture& arch, uint64_t seed, int layer, int64_t neuron, float* weight,
                float* bias);

// REQUIRES: arch.IsSparse(layer). Writes FanIn(layer) distinct input indices of neuron `neuron`,
// ascending, each in [0, InputsOf(layer)).
void SparseInputs(const Architecture& arch, int layer, int64_t neuron, int32_t* inputs);

// A 64-bit mix of its arguments (SplitMix64 finaliser chained); exposed for tests and shuffling.
uint64_t HashMix(uint64_t a, uint64_t b);

}  // namespace neuropart

#endif  // NEUROPART_MODEL_INIT_H_
