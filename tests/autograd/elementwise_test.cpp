// Elementwise functions: exp, log, sqrt, abs, tanh, sigmoid, relu, clamp, cast.
#include "support/support.hpp"

#include <cmath>

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

/// A leaf of positive values (for log, sqrt).
Tensor positive(const Shape& shape, std::uint64_t seed) {
  return (abs(random_input(shape, seed)) + 0.5).detach().requires_grad_();
}

/// A leaf whose values stay at least 0.1 away from the kinks at `points` (for relu, abs, clamp).
Tensor away_from(const Shape& shape, std::uint64_t seed, std::vector<double> points) {
  Tensor t = random_input(shape, seed).detach();
  for (double& v : t.data<double>())
    for (double p : points)
      if (std::abs(v - p) < 0.1) v = p + (v < p ? -0.1 : 0.1);
  return t.requires_grad_();
}

bool all_finite(const Tensor& t) {
  const xt::xarray<double> v = t.to(kFloat64).data<double>();
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

TEST(Elementwise, Values) {
  Tensor x = tensor({-2, 0, 0.5, 4}, kFloat64);
  EXPECT_EQ(relu(x).data<double>(), (xt::xarray<double>{0, 0, 0.5, 4}));
  EXPECT_EQ(abs(x).data<double>(), (xt::xarray<double>{2, 0, 0.5, 4}));
  EXPECT_EQ(clamp(x, -1, 1).data<double>(), (xt::xarray<double>{-1, 0, 0.5, 1}));
  EXPECT_EQ(clamp(x, std::nullopt, 0.2).data<double>(), (xt::xarray<double>{-2, 0, 0.2, 0.2}));
  EXPECT_EQ(clamp(x, 0.1, std::nullopt).data<double>(), (xt::xarray<double>{0.1, 0.1, 0.5, 4}));
  EXPECT_DOUBLE_EQ(sigmoid(x).data<double>()(1), 0.5);
  EXPECT_DOUBLE_EQ(tanh(x).data<double>()(2), std::tanh(0.5));
  EXPECT_DOUBLE_EQ(exp(x).data<double>()(0), std::exp(-2.0));
  EXPECT_DOUBLE_EQ(log(abs(x) + 1).data<double>()(3), std::log(5.0));
  EXPECT_DOUBLE_EQ(sqrt(abs(x)).data<double>()(3), 2.0);
  EXPECT_EQ(cast(x, kFloat32).data<float>()(2), 0.5f);
}

TEST(Elementwise, MatchesPyTorch) {
  EXPECT_TRUE(test::matches_reference("ops/elementwise_chain.npz", [](const auto& in) {
    const Tensor &a = in[0], &b = in[1];
    return sigmoid(a) * tanh(b) + exp(a) / (1 + b * b) - relu(a) + sqrt(abs(a) + 1) + log(1 + b * b) +
           pow(clamp(a, -0.5, 0.7), 3);
  }));
}

TEST(Elementwise, Gradcheck) {
  const Shape s{3, 4};
  EXPECT_TRUE(gradcheck_op("exp", [](const auto& v) { return exp(v[0]); }, {random_input(s)}));
  EXPECT_TRUE(gradcheck_op("log", [](const auto& v) { return log(v[0]); }, {positive(s, 2)}));
  EXPECT_TRUE(gradcheck_op("sqrt", [](const auto& v) { return sqrt(v[0]); }, {positive(s, 3)}));
  EXPECT_TRUE(gradcheck_op("abs", [](const auto& v) { return abs(v[0]); }, {away_from(s, 4, {0})}));
  EXPECT_TRUE(gradcheck_op("tanh", [](const auto& v) { return tanh(v[0]); }, {random_input(s, 5)}));
  EXPECT_TRUE(gradcheck_op("sigmoid", [](const auto& v) { return sigmoid(v[0]); }, {random_input(s, 6)}));
  EXPECT_TRUE(gradcheck_op("relu", [](const auto& v) { return relu(v[0]); }, {away_from(s, 7, {0})}));
  EXPECT_TRUE(gradcheck_op("clamp", [](const auto& v) { return clamp(v[0], -0.5, 0.6); },
                           {away_from(s, 8, {-0.5, 0.6})}));
  EXPECT_TRUE(gradcheck_op("clamp", [](const auto& v) { return clamp(v[0], std::nullopt, 0.0); },
                           {away_from(s, 9, {0})}));
  // Through float32 and back: float32 rounding needs a large step (cast is linear, so that is exact).
  EXPECT_TRUE(gradcheck_op("cast", [](const auto& v) { return cast(cast(v[0], kFloat32) * 2, kFloat64); },
                           {random_input(s, 10)}, GradcheckOptions().with_eps(1e-2).with_atol(1e-4)));
}

TEST(Elementwise, CastToSameDtypeIsIdentity) {
  Tensor x = random_input({2});
  EXPECT_EQ(cast(x, kFloat64).impl_ptr(), x.impl_ptr());
  Tensor f = cast(x, kFloat32);
  sum(f).backward();
  EXPECT_EQ(x.grad().dtype(), kFloat64);
}

TEST(Elementwise, TanhAndSigmoidSaturateWithoutNaN) {
  for (Dtype d : {kFloat32, kFloat64}) {
    Tensor x = tensor({-1e4, -100, -30, 30, 100, 1e4}, TensorOptions(d).requires_grad());
    for (Tensor y : {tanh(x), sigmoid(x)}) {
      EXPECT_TRUE(all_finite(y)) << y;
      x.zero_grad();
      sum(y).backward();
      EXPECT_TRUE(all_finite(x.grad())) << x.grad();
      const xt::xarray<double> g = x.grad().to(kFloat64).data<double>();
      EXPECT_EQ(g(0), 0.0);
      EXPECT_EQ(g(5), 0.0);
    }
    const xt::xarray<double> s = sigmoid(x).to(kFloat64).data<double>();
    EXPECT_EQ(s(0), 0.0);
    EXPECT_EQ(s(5), 1.0);
  }
}

TEST(Elementwise, Errors) {
  EXPECT_TRUE(throws<ValueError>([] { clamp(zeros({2}), 1, 0); }, {"clamp", "min (1)", "max (0)"}));
  EXPECT_TRUE(throws<ValueError>([] { exp(Tensor()); }, {"exp", "undefined"}));
  EXPECT_TRUE(throws<ValueError>([] { cast(Tensor(), kFloat32); }, {"cast", "undefined"}));
}

}  // namespace
}  // namespace tg
