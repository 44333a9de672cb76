#include "neuropart/engine/reference_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "neuropart/model/init.h"

namespace neuropart {
namespace {

MatrixF Random(int64_t rows, int64_t cols, uint64_t seed) {
  MatrixF m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i) {
    m.data()[i] = static_cast<float>(HashMix(seed, i) % 2001) / 1000.0f - 1.0f;
  }
  return m;
}

std::vector<int32_t> Labels(int64_t n, int classes, uint64_t seed) {
  std::vector<int32_t> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(HashMix(seed, i) % classes);
  return y;
}

// input 8 -> 6 (act) -> 5 (act) -> 3 softmax; sparse layers read 3, 4 and 4 inputs.
Architecture SmallNet(Activation act, bool sparse) {
  auto conn = [&](int64_t fan_in, uint64_t seed) {
    return sparse ? Connectivity{Connectivity::Type::kSparse, fan_in, seed} : Connectivity{};
  };
  Architecture a;
  a.input_size = 8;
  a.layers = {{"h1", 6, act, conn(3, 11)},
              {"h2", 5, act, conn(4, 12)},
              {"out", 3, Activation::kSoftmax, conn(4, 13)}};
  EXPECT_TRUE(a.Validate().ok());
  return a;
}

// An independent double-precision forward pass: the loss for finite differences, free of fp32
// rounding, plus the on/off pattern of every relu (a difference across a kink is not a derivative).
struct NaiveResult {
  double loss = 0;
  std::vector<bool> relu_pattern;
  std::vector<std::vector<double>> probs;
};

double Act(Activation act, double z) {
  switch (act) {
    case Activation::kRelu:
      return z > 0 ? z : 0;
    case Activation::kTanh:
      return std::tanh(z);
    case Activation::kSigmoid:
      return 1 / (1 + std::exp(-z));
    default:
      return z;
  }
}

// Model in doubles: weights per layer, row-major [rows, fan_in], then the biases.
using DoubleModel = std::vector<std::vector<double>>;

DoubleModel ToDouble(const ModelParams& p) {
  DoubleModel d;
  for (const LayerParams& l : p) {
    std::vector<double> v(l.weight.data(), l.weight.data() + l.weight.size());
    v.insert(v.end(), l.bias.data(), l.bias.data() + l.bias.size());
    d.push_back(std::move(v));
  }
  return d;
}

NaiveResult NaiveForward(const Architecture& arch, const ModelParams& p, const DoubleModel& d,
                         const MatrixF& x, const std::vector<int32_t>& labels) {
  NaiveResult res;
  for (int64_t s = 0; s < x.rows(); ++s) {
    std::vector<double> in(x.row(s).data(), x.row(s).data() + x.cols());
    for (int l = 0; l < arch.num_layers(); ++l) {
      const int64_t rows = arch.layers[l].neurons, fan_in = arch.FanIn(l);
      std::vector<double> out(rows);
      for (int64_t r = 0; r < rows; ++r) {
        double z = d[l][rows * fan_in + r];
        for (int64_t k = 0; k < fan_in; ++k) {
          z += d[l][r * fan_in + k] * in[arch.IsSparse(l) ? p[l].index(r, k) : k];
        }
        if (arch.layers[l].activation == Activation::kRelu) res.relu_pattern.push_back(z > 0);
        out[r] = Act(arch.layers[l].activation, z);
      }
      in = std::move(out);
    }
    double m = in[0], sum = 0;
    for (double v : in) m = std::max(m, v);
    for (double v : in) sum += std::exp(v - m);
    res.loss += m + std::log(sum) - in[labels[s]];
    std::vector<double> probs;
    for (double v : in) probs.push_back(std::exp(v - m) / sum);
    res.probs.push_back(std::move(probs));
  }
  res.loss /= static_cast<double>(x.rows());
  return res;
}

// dL/dparam by central differences in double, compared with the engine's fp32 gradient.
void CheckGradients(Activation act, bool sparse) {
  SCOPED_TRACE(std::string(ActivationName(act)) + (sparse ? " sparse" : " dense"));
  const Architecture arch = SmallNet(act, sparse);
  const ModelParams params = InitModel(arch, 21);
  const MatrixF x = Random(5, 8, 22) * 2.0f;
  const std::vector<int32_t> labels = Labels(5, 3, 23);
  ReferenceTrainer trainer(arch, params, {});
  ModelParams grads;
  const float loss = trainer.ComputeGradients(x, labels.data(), &grads);

  DoubleModel d = ToDouble(params);
  const NaiveResult base = NaiveForward(arch, params, d, x, labels);
  EXPECT_NEAR(loss, base.loss, 1e-6 * base.loss);
  constexpr double kEps = 1e-4;
  int checked = 0, skipped = 0;
  for (int l = 0; l < arch.num_layers(); ++l) {
    const int64_t weights = grads[l].weight.size();
    for (size_t i = 0; i < d[l].size(); ++i) {
      const double saved = d[l][i];
      d[l][i] = saved + kEps;
      const NaiveResult plus = NaiveForward(arch, params, d, x, labels);
      d[l][i] = saved - kEps;
      const NaiveResult minus = NaiveForward(arch, params, d, x, labels);
      d[l][i] = saved;
      if (plus.relu_pattern != base.relu_pattern || minus.relu_pattern != base.relu_pattern) {
        ++skipped;
        continue;
      }
      const double numeric = (plus.loss - minus.loss) / (2 * kEps);
      const double analytic = static_cast<int64_t>(i) < weights ? grads[l].weight.data()[i]
                                                                 : grads[l].bias[i - weights];
      EXPECT_NEAR(analytic, numeric, 1e-3 * std::fabs(numeric) + 1e-6)
          << "layer " << l << " parameter " << i;
      ++checked;
    }
  }
  EXPECT_LE(skipped, checked / 20) << "too many relu kinks crossed";
}

TEST(ReferenceTrainerTest, GradientsMatchFiniteDifferencesForEveryActivation) {
  for (Activation act : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid,
                         Activation::kIdentity}) {
    CheckGradients(act, /*sparse=*/false);
    CheckGradients(act, /*sparse=*/true);
  }
}

TEST(ReferenceTrainerTest, ForwardGivesTheSoftmaxOfTheNetwork) {
  const Architecture arch = SmallNet(Activation::kTanh, true);
  const ModelParams params = InitModel(arch, 4);
  const MatrixF x = Random(4, 8, 5);
  const std::vector<int32_t> labels = Labels(4, 3, 6);
  ReferenceTrainer trainer(arch, params, {});
  const MatrixF probs = trainer.Forward(x);
  const NaiveResult want = NaiveForward(arch, params, ToDouble(params), x, labels);
  ASSERT_EQ(probs.rows(), 4);
  ASSERT_EQ(probs.cols(), 3);
  for (int s = 0; s < 4; ++s) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(probs(s, c), want.probs[s][c], 1e-6);
  }
}

// Relative agreement of two tensors, scaled by the larger of 1 and the element's magnitude.
void ExpectRelClose(const MatrixF& a, const MatrixF& b, double tol, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  const double scale = std::max(1.0f, b.cwiseAbs().maxCoeff());
  for (int64_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a.data()[i], b.data()[i], tol * scale) << what << " element " << i;
  }
}

void ExpectModelsClose(const ModelParams& a, const ModelParams& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t l = 0; l < a.size(); ++l) {
    ExpectRelClose(a[l].weight, b[l].weight, tol, "layer " + std::to_string(l) + " weight");
    ExpectRelClose(a[l].bias, b[l].bias, tol, "layer " + std::to_string(l) + " bias");
  }
}

TEST(ReferenceTrainerTest, MicroBatchGradientsEqualFullBatchGradients) {
  const Architecture arch = SmallNet(Activation::kRelu, false);
  const ModelParams params = InitModel(arch, 7);
  const MatrixF x = Random(7, 8, 8);
  const std::vector<int32_t> labels = Labels(7, 3, 9);
  ReferenceTrainer trainer(arch, params, {});
  ModelParams full, parts;
  const float full_loss = trainer.ComputeGradients(x, labels.data(), 1, &full);
  for (int micro : {2, 3, 7}) {
    SCOPED_TRACE(micro);
    const float loss = trainer.ComputeGradients(x, labels.data(), micro, &parts);
    EXPECT_NEAR(loss, full_loss, 1e-6 * full_loss);
    // Gradients are O(0.1): compare them relative to their own scale, not to 1.
    for (size_t l = 0; l < full.size(); ++l) {
      const float scale = full[l].weight.cwiseAbs().maxCoeff();
      EXPECT_LE((parts[l].weight - full[l].weight).cwiseAbs().maxCoeff(), 1e-6f * scale);
      EXPECT_LE((parts[l].bias - full[l].bias).cwiseAbs().maxCoeff(), 1e-6f * scale);
    }
  }
}

TEST(ReferenceTrainerTest, MicroBatchedTrainingFollowsFullBatchTraining) {
  const Architecture arch = SmallNet(Activation::kSigmoid, true);
  const SgdOptions sgd{.learning_rate = 0.5f, .momentum = 0.9f, .weight_decay = 1e-3f};
  ReferenceTrainer whole(arch, InitModel(arch, 3), sgd), micro(arch, InitModel(arch, 3), sgd);
  for (int step = 0; step < 4; ++step) {
    const MatrixF x = Random(9, 8, 100 + step);
    const std::vector<int32_t> labels = Labels(9, 3, 200 + step);
    const float a = whole.TrainStep(x, labels.data(), 1);
    const float b = micro.TrainStep(x, labels.data(), 4);
    EXPECT_NEAR(b, a, 1e-6 * a) << "step " << step;
  }
  ExpectModelsClose(micro.params(), whole.params(), 1e-6);
}

TEST(ReferenceTrainerTest, TrainingLowersTheLossOnAFixedBatch) {
  const Architecture arch = SmallNet(Activation::kRelu, false);
  ReferenceTrainer trainer(arch, InitModel(arch, 1), {.learning_rate = 0.3f, .momentum = 0.9f});
  const MatrixF x = Random(16, 8, 2);
  const std::vector<int32_t> labels = Labels(16, 3, 3);
  const float first = trainer.TrainStep(x, labels.data(), 1);
  float last = first;
  for (int i = 0; i < 50; ++i) last = trainer.TrainStep(x, labels.data(), 2);
  EXPECT_LT(last, 0.5f * first);
}

TEST(ReferenceTrainerTest, EvaluateAveragesLossAndAccuracyOverChunks) {
  const Architecture arch = SmallNet(Activation::kTanh, false);
  ReferenceTrainer trainer(arch, InitModel(arch, 5), {});
  const MatrixF x = Random(7, 8, 6);
  const std::vector<int32_t> labels = Labels(7, 3, 7);
  ModelParams unused;
  const float loss = trainer.ComputeGradients(x, labels.data(), &unused);
  const MatrixF probs = trainer.Forward(x);
  int correct = 0;
  for (int s = 0; s < 7; ++s) {
    Eigen::Index best;
    probs.row(s).maxCoeff(&best);
    correct += best == labels[s];
  }
  const EvalResult r = trainer.Evaluate(x, labels, 3);  // chunks of 3, 3, 1
  EXPECT_EQ(r.samples, 7);
  EXPECT_NEAR(r.loss, loss, 1e-6 * loss);
  EXPECT_DOUBLE_EQ(r.accuracy, correct / 7.0);
}

}  // namespace
}  // namespace neuropart
