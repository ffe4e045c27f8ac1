// The softmax family: softmax, log_softmax, logsumexp.
#include "support/support.hpp"

#include <cmath>

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

bool all_finite(const Tensor& t) {
  const xt::xarray<double> v = t.to(kFloat64).data<double>();
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

TEST(Softmax, ValuesSumToOne) {
  Tensor x = tensor({{1, 2, 3}, {0, 0, 0}}, kFloat64);
  Tensor s = softmax(x, -1);
  const double e = std::exp(1.0), z = 1 + e + e * e;
  EXPECT_NEAR(s.data<double>()(0, 2), e * e / z, 1e-15);
  EXPECT_NEAR(s.data<double>()(1, 1), 1.0 / 3, 1e-15);
  EXPECT_NEAR(log_softmax(x, 1).data<double>()(0, 0), -std::log(z), 1e-14);
  EXPECT_NEAR(logsumexp(x, -1).data<double>()(0), 1 + std::log(z), 1e-14);
  EXPECT_EQ(logsumexp(x, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(logsumexp(x, 0).shape(), (Shape{3}));
}

TEST(Softmax, MatchesPyTorch) {
  EXPECT_TRUE(test::matches_reference("ops/softmax_axis1.npz", [](const auto& in) { return softmax(in[0], 1); }));
  EXPECT_TRUE(test::matches_reference("ops/log_softmax_last.npz",
                                      [](const auto& in) { return log_softmax(in[0], -1); }));
  EXPECT_TRUE(test::matches_reference("ops/logsumexp_axis0.npz", [](const auto& in) { return logsumexp(in[0], 0); }));
  EXPECT_TRUE(test::matches_reference("ops/log_softmax_big.npz",
                                      [](const auto& in) { return log_softmax(in[0], -1); }, 1e-9));
}

TEST(Softmax, Gradcheck) {
  EXPECT_TRUE(gradcheck_op("softmax", [](const auto& in) { return softmax(in[0], -1); }, {random_input({3, 4})}));
  EXPECT_TRUE(gradcheck_op("softmax", [](const auto& in) { return softmax(in[0], 1); }, {random_input({2, 3, 4})}));
  EXPECT_TRUE(gradcheck_op("log_softmax", [](const auto& in) { return log_softmax(in[0], -1); },
                           {random_input({3, 5})}));
  EXPECT_TRUE(gradcheck_op("log_softmax", [](const auto& in) { return log_softmax(in[0], 0); },
                           {random_input({3, 2, 2})}));
  for (bool keepdim : {false, true}) {
    EXPECT_TRUE(gradcheck_op("logsumexp", [&](const auto& in) { return logsumexp(in[0], -1, keepdim); },
                             {random_input({3, 4})}));
    EXPECT_TRUE(gradcheck_op("logsumexp", [&](const auto& in) { return logsumexp(in[0], 1, keepdim); },
                             {random_input({2, 3, 4})}));
  }
}

TEST(Softmax, FusedOpsMatchTheirComposition) {
  Tensor x = random_input({4, 5}, 3);
  EXPECT_LT(test::max_abs_diff(logsumexp(x, 1), log(sum(exp(x), {1}))), 1e-13);
  EXPECT_LT(test::max_abs_diff(softmax(x, 1), exp(x) / sum(exp(x), {1}, true)), 1e-13);
  EXPECT_LT(test::max_abs_diff(log_softmax(x, 0), x - logsumexp(x, 0, true)), 1e-13);
  // Gradchecked against each other too: the composed twin's gradient equals the fused one.
  EXPECT_TRUE(gradcheck_op("logsumexp", [](const auto& in) { return logsumexp(in[0], 1) - log(sum(exp(in[0]), {1})); },
                           {random_input({3, 4})}));
}

TEST(Softmax, FiniteAtLargeLogits) {
  for (Dtype d : {kFloat32, kFloat64}) {
    Tensor x = tensor({{1e4, -1e4, 0}, {-1e4, -1e4, -1e4}, {1e4, 1e4, 1e4}}, TensorOptions(d).requires_grad());
    for (Tensor y : {softmax(x, -1), log_softmax(x, -1), logsumexp(x, -1), logsumexp(x, 0, true)}) {
      EXPECT_TRUE(all_finite(y)) << y;
      x.zero_grad();
      sum(y * y).backward();
      EXPECT_TRUE(all_finite(x.grad())) << x.grad();
    }
    const xt::xarray<double> lse = logsumexp(x, -1).to(kFloat64).data<double>();
    EXPECT_NEAR(lse(0), 1e4, 1e-2);
    EXPECT_NEAR(lse(1), -1e4 + std::log(3.0), 1e-2);
    EXPECT_NEAR(softmax(x, -1).to(kFloat64).data<double>()(0, 0), 1.0, 1e-6);
  }
}

TEST(Softmax, Errors) {
  Tensor x = zeros({2, 3});
  EXPECT_TRUE(throws<ValueError>([&] { softmax(x, 2); }, {"softmax", "axis 2"}));
  EXPECT_TRUE(throws<ValueError>([&] { log_softmax(x, -3); }, {"log_softmax", "axis -3"}));
  EXPECT_TRUE(throws<ValueError>([&] { logsumexp(x, 5); }, {"logsumexp", "axis 5"}));
  EXPECT_TRUE(throws<ValueError>([&] { softmax(Tensor(), 0); }, {"softmax", "undefined"}));
}

}  // namespace
}  // namespace tg
