#include "gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "neuropart/model/init.h"

namespace neuropart::internal {
namespace {

MatrixF Random(int64_t rows, int64_t cols, uint64_t seed) {
  MatrixF m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i) {
    m.data()[i] = static_cast<float>(HashMix(seed, i) % 2001) / 1000.0f - 1.0f;
  }
  return m;
}

// The product in double, as the yardstick for fp32 sums of up to k terms.
MatrixF Product(const MatrixF& a, Op op_a, const MatrixF& b, Op op_b) {
  const Eigen::MatrixXd ad = a.cast<double>(), bd = b.cast<double>();
  const Eigen::MatrixXd l = op_a == Op::kTranspose ? Eigen::MatrixXd(ad.transpose()) : ad;
  const Eigen::MatrixXd r = op_b == Op::kTranspose ? Eigen::MatrixXd(bd.transpose()) : bd;
  return (l * r).cast<float>();
}

void ExpectNear(const MatrixF& got, const MatrixF& want, float tol) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.cols(), want.cols());
  for (int64_t r = 0; r < want.rows(); ++r) {
    for (int64_t c = 0; c < want.cols(); ++c) {
      ASSERT_NEAR(got(r, c), want(r, c), tol) << "at (" << r << ", " << c << ")";
    }
  }
}

struct Case {
  Op op_a, op_b;
};
const char* Name(Op op) { return op == Op::kNone ? "N" : "T"; }
void PrintTo(const Case& c, std::ostream* os) { *os << Name(c.op_a) << Name(c.op_b); }

class GemmTest : public ::testing::TestWithParam<Case> {};

TEST_P(GemmTest, OverwritesWithTheProductWhenBetaIsZero) {
  const auto [op_a, op_b] = GetParam();
  const int64_t m = 37, n = 23, k = 300;  // odd sizes: every kernel edge case
  const MatrixF a = op_a == Op::kNone ? Random(m, k, 1) : Random(k, m, 1);
  const MatrixF b = op_b == Op::kNone ? Random(k, n, 2) : Random(n, k, 2);
  MatrixF c = MatrixF::Constant(m, n, std::numeric_limits<float>::quiet_NaN());
  Gemm(a, op_a, b, op_b, 0.0f, c);
  ExpectNear(c, Product(a, op_a, b, op_b), 1e-4f);
}

TEST_P(GemmTest, AddsTheProductWhenBetaIsOne) {
  const auto [op_a, op_b] = GetParam();
  const int64_t m = 9, n = 40, k = 17;
  const MatrixF a = op_a == Op::kNone ? Random(m, k, 3) : Random(k, m, 3);
  const MatrixF b = op_b == Op::kNone ? Random(k, n, 4) : Random(n, k, 4);
  const MatrixF c0 = Random(m, n, 5);
  MatrixF c = c0;
  Gemm(a, op_a, b, op_b, 1.0f, c);
  ExpectNear(c, MatrixF(c0 + Product(a, op_a, b, op_b)), 1e-5f);
}

// Views into larger matrices (the executor hands out column blocks of activations) are read and
// written through their row stride, and nothing outside the view changes.
TEST_P(GemmTest, ReadsAndWritesStridedViewsInPlace) {
  const auto [op_a, op_b] = GetParam();
  const int64_t m = 6, n = 5, k = 8;
  const MatrixF big_a = Random(20, 20, 6), big_b = Random(20, 20, 7);
  const auto a = op_a == Op::kNone ? big_a.block(2, 3, m, k) : big_a.block(2, 3, k, m);
  const auto b = op_b == Op::kNone ? big_b.block(1, 4, k, n) : big_b.block(1, 4, n, k);
  const MatrixF before = Random(10, 12, 8);
  MatrixF big_c = before;
  Gemm(a, op_a, b, op_b, 0.0f, big_c.block(3, 2, m, n));
  ExpectNear(big_c.block(3, 2, m, n), Product(a, op_a, b, op_b), 1e-5f);
  MatrixF outside = big_c;
  outside.block(3, 2, m, n) = before.block(3, 2, m, n);
  EXPECT_EQ(outside, before);
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmTest,
                         ::testing::Values(Case{Op::kNone, Op::kNone},
                                           Case{Op::kNone, Op::kTranspose},
                                           Case{Op::kTranspose, Op::kNone},
                                           Case{Op::kTranspose, Op::kTranspose}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(Name(info.param.op_a)) + Name(info.param.op_b);
                         });

TEST(GemmEdgeTest, EmptyInnerDimensionScalesByBeta) {
  const MatrixF a(4, 0), b(0, 3);
  MatrixF c = MatrixF::Constant(4, 3, std::numeric_limits<float>::quiet_NaN());
  Gemm(a, Op::kNone, b, Op::kNone, 0.0f, c);
  EXPECT_EQ(c, MatrixF::Zero(4, 3));
  MatrixF d = MatrixF::Constant(4, 3, 2.5f);
  Gemm(a, Op::kNone, b, Op::kNone, 1.0f, d);
  EXPECT_EQ(d, MatrixF::Constant(4, 3, 2.5f));
}

TEST(GemmEdgeTest, EmptyResultIsANoOp) {
  const MatrixF a(0, 5), b(5, 3);
  MatrixF c(0, 3);
  Gemm(a, Op::kNone, b, Op::kNone, 0.0f, c);
  EXPECT_EQ(c.size(), 0);
}

}  // namespace
}  // namespace neuropart::internal
