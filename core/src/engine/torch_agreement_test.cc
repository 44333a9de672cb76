// The reference trainer against PyTorch itself: the same MLP, weights and batches, trained for five
// SGD steps with momentum and weight decay by both, must end with the same weights. The PyTorch
// side is torch_reference.py (its docstring describes the file exchange).
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "neuropart/engine/reference_trainer.h"
#include "neuropart/model/init.h"

namespace neuropart {
namespace {

static_assert(std::endian::native == std::endian::little, "the exchange files are little-endian");

namespace fs = std::filesystem;

constexpr int kSteps = 5;
constexpr int kBatch = 8;
constexpr SgdOptions kSgd{.learning_rate = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f};

Architecture Mlp() {
  Architecture a;
  a.input_size = 20;
  a.layers = {{"h1", 16, Activation::kRelu, {}},
              {"h2", 12, Activation::kTanh, {}},
              {"out", 5, Activation::kSoftmax, {}}};
  return a;
}

MatrixF Batch(int step) {
  MatrixF x(kBatch, 20);
  for (int64_t i = 0; i < x.size(); ++i) {
    x.data()[i] = static_cast<float>(HashMix(1000 + step, i) % 4001) / 1000.0f - 2.0f;
  }
  return x;
}

std::vector<int32_t> BatchLabels(int step) {
  std::vector<int32_t> y(kBatch);
  for (int i = 0; i < kBatch; ++i) y[i] = static_cast<int32_t>(HashMix(2000 + step, i) % 5);
  return y;
}

template <typename T>
void WriteRaw(const fs::path& path, const T* data, int64_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<float> ReadRaw(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::vector<float> v(static_cast<size_t>(in.tellg()) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

void WriteInputs(const fs::path& dir, const Architecture& arch, const ModelParams& params) {
  std::ofstream cfg(dir / "model.txt");
  cfg << "lr " << kSgd.learning_rate << "\nmomentum " << kSgd.momentum << "\nweight_decay "
      << kSgd.weight_decay << "\nsteps " << kSteps << "\nbatch " << kBatch << "\ninput "
      << arch.input_size << "\n";
  for (int l = 0; l < arch.num_layers(); ++l) {
    cfg << "layer " << ActivationName(arch.layers[l].activation) << " " << arch.layers[l].neurons
        << " " << arch.FanIn(l) << "\n";
    WriteRaw(dir / ("w" + std::to_string(l) + ".bin"), params[l].weight.data(),
             params[l].weight.size());
    WriteRaw(dir / ("b" + std::to_string(l) + ".bin"), params[l].bias.data(),
             params[l].bias.size());
  }
  for (int s = 0; s < kSteps; ++s) {
    const MatrixF x = Batch(s);
    const std::vector<int32_t> y = BatchLabels(s);
    WriteRaw(dir / ("x" + std::to_string(s) + ".bin"), x.data(), x.size());
    WriteRaw(dir / ("y" + std::to_string(s) + ".bin"), y.data(), kBatch);
  }
}

// A Python that can import torch: $NEUROPART_PYTHON, else the one CMake found (empty if none).
std::string FindTorchPython() {
  if (const char* env = std::getenv("NEUROPART_PYTHON")) return env;
  return NEUROPART_TORCH_PYTHON;
}

// |a - b| <= 1e-5 max(1, |b|) for every element.
void ExpectWeightsEqual(const float* got, const std::vector<float>& want, const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::fabs(want[i])))
        << what << "[" << i << "]";
  }
}

class TorchAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = FindTorchPython();
    if (python_.empty()) {
      GTEST_SKIP() << "no python3 could `import torch` when CMake configured the build, and "
                      "$NEUROPART_PYTHON is unset; install Debian's python3-torch to run this test";
    }
    std::string tmpl = (fs::temp_directory_path() / "neuropart-torch-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string python_;
  fs::path dir_;
};

TEST_F(TorchAgreementTest, FiveSgdStepsWithMomentumEndWithPytorchsWeights) {
  const Architecture arch = Mlp();
  ASSERT_TRUE(arch.Validate().ok());
  const ModelParams initial = InitModel(arch, 42);
  WriteInputs(dir_, arch, initial);
  const std::string cmd = python_ + " " + NEUROPART_TORCH_REFERENCE_PY + " " + dir_.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  std::ifstream losses_file(dir_ / "losses.txt");
  std::vector<double> torch_losses;
  for (double v; losses_file >> v;) torch_losses.push_back(v);
  ASSERT_EQ(torch_losses.size(), static_cast<size_t>(kSteps));

  for (int micro_batches : {1, 3}) {
    SCOPED_TRACE("micro_batches " + std::to_string(micro_batches));
    ReferenceTrainer trainer(arch, initial, kSgd);
    for (int s = 0; s < kSteps; ++s) {
      const float loss = trainer.TrainStep(Batch(s), BatchLabels(s).data(), micro_batches);
      EXPECT_NEAR(loss, torch_losses[s], 1e-5 * torch_losses[s]) << "step " << s;
    }
    for (int l = 0; l < arch.num_layers(); ++l) {
      const LayerParams& p = trainer.params()[l];
      const std::vector<float> w = ReadRaw(dir_ / ("out_w" + std::to_string(l) + ".bin"));
      const std::vector<float> b = ReadRaw(dir_ / ("out_b" + std::to_string(l) + ".bin"));
      ASSERT_EQ(static_cast<int64_t>(w.size()), p.weight.size()) << "layer " << l;
      ASSERT_EQ(static_cast<int64_t>(b.size()), p.bias.size()) << "layer " << l;
      ExpectWeightsEqual(p.weight.data(), w, "layer " + std::to_string(l) + " weight");
      ExpectWeightsEqual(p.bias.data(), b, "layer " + std::to_string(l) + " bias");
      // The weights moved: agreement is not the trivial agreement of untouched initial values.
      EXPECT_GT((p.weight - initial[l].weight).cwiseAbs().maxCoeff(), 1e-3) << "layer " << l;
    }
  }
}

}  // namespace
}  // namespace neuropart
