// Elementwise arithmetic with broadcasting: add, sub, mul, div, neg, pow and the operators.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

/// Inputs bounded away from zero, for dividing by them.
Tensor away_from_zero(const Shape& shape, std::uint64_t seed) {
  Tensor t = random_input(shape, seed);
  t.data<double>() = xt::sign(t.data<double>()) * (xt::abs(t.data<double>()) + 0.5);
  return t;
}

TEST(Arithmetic, ValuesAndOperators) {
  Tensor a = tensor({{1, 2}, {3, 4}}, kFloat64), b = tensor({10, 20}, kFloat64);
  EXPECT_EQ((a + b).data<double>(), (xt::xarray<double>{{11, 22}, {13, 24}}));
  EXPECT_EQ((a - b).data<double>(), (xt::xarray<double>{{-9, -18}, {-7, -16}}));
  EXPECT_EQ((a * b).data<double>(), (xt::xarray<double>{{10, 40}, {30, 80}}));
  EXPECT_EQ((b / a).data<double>(), (xt::xarray<double>{{10, 10}, {10.0 / 3, 5}}));
  EXPECT_EQ((-a).data<double>()(1, 1), -4.0);
  EXPECT_DOUBLE_EQ(pow(a, 2).data<double>()(1, 0), 9.0);
  EXPECT_EQ((2 - a * 3 + 1 / b / 2).data<double>()(0, 1), 2 - 6 + 1.0 / 40);
  EXPECT_EQ((a + 1.5).dtype(), kFloat64);  // scalars take the tensor's dtype
  EXPECT_EQ(scalar_like(3, a).shape(), (Shape{}));
  EXPECT_EQ((a - 1).data<double>()(0, 0), 0.0);
  EXPECT_EQ((6.0 / a).data<double>()(0, 1), 3.0);
}

TEST(Arithmetic, GradcheckWithBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 1, 4}, {2, 1}}, {{}, {2, 3}}, {{2, 3}, {}}, {{4}, {3, 1}}, {{1, 3}, {2, 1, 1}}};
  for (const auto& [sa, sb] : shapes) {
    const std::vector<Tensor> in = {random_input(sa, 1), random_input(sb, 2)};
    EXPECT_TRUE(gradcheck_op("add", [](const auto& v) { return add(v[0], v[1]); }, in));
    EXPECT_TRUE(gradcheck_op("sub", [](const auto& v) { return sub(v[0], v[1]); }, in));
    EXPECT_TRUE(gradcheck_op("mul", [](const auto& v) { return mul(v[0], v[1]); }, in));
    EXPECT_TRUE(gradcheck_op("div", [](const auto& v) { return div(v[0], v[1]); },
                             {random_input(sa, 1), away_from_zero(sb, 2)}));
  }
  // One tensor on both sides: the two gradient contributions add up.
  EXPECT_TRUE(gradcheck_op("mul", [](const auto& v) { return mul(v[0], v[0]); }, {random_input({2, 3})}));
}

TEST(Arithmetic, GradcheckUnary) {
  EXPECT_TRUE(gradcheck_op("neg", [](const auto& v) { return neg(v[0]); }, {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("pow", [](const auto& v) { return pow(v[0], 3); }, {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("pow", [](const auto& v) { return pow(v[0], -1.5); },
                           {abs(away_from_zero({4}, 3)).detach().requires_grad_()}));
  EXPECT_TRUE(gradcheck_op("pow", [](const auto& v) { return pow(v[0], 0.5); },
                           {abs(away_from_zero({2, 2}, 4)).detach().requires_grad_()}));
}

TEST(Arithmetic, OnlyInputsThatNeedGradGetOne) {
  Tensor a = random_input({2, 3}), b = random_input({3}, 2).detach();
  sum(a * b).backward();
  EXPECT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Arithmetic, Errors) {
  EXPECT_TRUE(throws<ShapeError>([] { add(zeros({2, 3}), zeros({4})); }, {"add", "[2, 3]", "[4]", "broadcast"}));
  EXPECT_TRUE(throws<ShapeError>([] { mul(zeros({2, 3}), zeros({3, 3})); }, {"mul", "[2, 3]", "[3, 3]"}));
  EXPECT_TRUE(throws<DtypeError>([] { div(zeros({2}), zeros({2}, kFloat64)); }, {"div", "float64", "float32"}));
  EXPECT_TRUE(throws<DtypeError>([] { sub(zeros({2}, kFloat64), zeros({2})); }, {"sub", "float32", "float64"}));
  EXPECT_TRUE(throws<ValueError>([] { neg(Tensor()); }, {"neg", "undefined"}));
  EXPECT_TRUE(throws<ValueError>([] { add(Tensor(), zeros({1})); }, {"add", "undefined"}));
}

}  // namespace
}  // namespace tg

namespace tg {
namespace {

TEST(Arithmetic, SquareIsExact) {
  Tensor x = tensor({3.0, -1.5, 1e-3}, TensorOptions().requires_grad());
  Tensor y = pow(x, 2);
  EXPECT_EQ(y.data<float>(), (xt::xarray<float>{9.0f, 2.25f, 1e-3f * 1e-3f}));
  sum(y).backward();
  EXPECT_EQ(x.grad().data<float>(), (xt::xarray<float>{6.0f, -3.0f, 2e-3f}));
}

}  // namespace
}  // namespace tg
