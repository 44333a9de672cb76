// A Gaussian-blobs classification problem built from counter-based hashes, so that any process
// can rebuild exactly the same data from the seed.
#include <cassert>
#include <cmath>
#include <numbers>

#include "neuropart/data/dataset.h"
#include "neuropart/model/init.h"

namespace neuropart {
namespace {

constexpr uint64_t kCentreSalt = 0xce;
constexpr uint64_t kLabelSalt = 0x1a;
constexpr uint64_t kNoiseSalt = 0x05;
// Centres are uniform in [-1, 1] per feature; this noise keeps classes overlapping a little in
// few dimensions while staying learnable.
constexpr float kNoiseStddev = 0.35f;

// Uniform in (0, 1]: never 0, so that log() below is finite.
double Unit(uint64_t h) { return (static_cast<double>(h >> 11) + 1.0) * 0x1.0p-53; }

uint64_t Key(uint64_t seed, uint64_t salt, uint64_t a) { return HashMix(HashMix(seed, salt), a); }

// Standard normal (Box-Muller) from one hash.
float Gaussian(uint64_t h) {
  const double u1 = Unit(h);
  const double u2 = Unit(HashMix(h, 1));
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

}  // namespace

Dataset MakeSynthetic(int64_t samples, int64_t features, int64_t classes, uint64_t seed) {
  assert(samples >= 0 && features >= 1 && classes >= 1);
  MatrixF centres(classes, features);
  for (int64_t k = 0; k < classes; ++k) {
    for (int64_t j = 0; j < features; ++j) {
      centres(k, j) = static_cast<float>(2.0 * Unit(HashMix(Key(seed, kCentreSalt, k), j)) - 1.0);
    }
  }
  Dataset ds;
  ds.num_classes = classes;
  ds.x.resize(samples, features);
  ds.labels.resize(samples);
  for (int64_t i = 0; i < samples; ++i) {
    const int64_t label = static_cast<int64_t>(Key(seed, kLabelSalt, i) % classes);
    ds.labels[i] = static_cast<int32_t>(label);
    const uint64_t noise_key = Key(seed, kNoiseSalt, i);
    for (int64_t j = 0; j < features; ++j) {
      ds.x(i, j) = centres(label, j) + kNoiseStddev * Gaussian(HashMix(noise_key, j));
    }
  }
  return ds;
}

}  // namespace neuropart
