// Reductions: sum, mean and max, over everything or over axes, with keepdim.
#include "support/support.hpp"

#include <cmath>

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

TEST(Reduction, Values) {
  Tensor x = tensor({{1, 5, 3}, {4, 2, 6}}, kFloat64);
  EXPECT_EQ(sum(x).item(), 21.0);
  EXPECT_EQ(mean(x).item(), 3.5);
  EXPECT_EQ(sum(x, {0}).data<double>(), (xt::xarray<double>{5, 7, 9}));
  EXPECT_EQ(sum(x, {-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(mean(x, {1}).data<double>(), (xt::xarray<double>{3, 4}));
  EXPECT_EQ(sum(x, {0, 1}).shape(), (Shape{}));
  EXPECT_EQ(max(x).item(), 6.0);
  EXPECT_EQ(max(x, 1).data<double>(), (xt::xarray<double>{5, 6}));
  EXPECT_EQ(max(x, 0, true).data<double>(), (xt::xarray<double>{{4, 5, 6}}));
  EXPECT_EQ(max(x, -2).shape(), (Shape{3}));
}

TEST(Reduction, MatchesPyTorch) {
  EXPECT_TRUE(test::matches_reference("ops/sum_mean.npz", [](const auto& in) {
    return sum(in[0], {0, 2}, true) * mean(in[0], {-1}, true);
  }));
  // Ties: the axis form sends the gradient to the first maximum, the full form shares it.
  EXPECT_TRUE(test::matches_reference("ops/max_axis1.npz", [](const auto& in) { return max(in[0], 1); }));
  EXPECT_TRUE(test::matches_reference("ops/max_all.npz", [](const auto& in) { return max(in[0]); }));
}

TEST(Reduction, MaxPropagatesNaN) {
  Tensor x = tensor({{1, NAN, 3}, {4, 5, 6}}, kFloat64);
  EXPECT_TRUE(std::isnan(max(x).item()));
  const xt::xarray<double> m = max(x, 1).data<double>();
  EXPECT_TRUE(std::isnan(m(0)));
  EXPECT_EQ(m(1), 6.0);
}

TEST(Reduction, Gradcheck) {
  EXPECT_TRUE(gradcheck_op("sum", [](const auto& v) { return sum(v[0]); }, {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("mean", [](const auto& v) { return mean(v[0]); }, {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("max", [](const auto& v) { return max(v[0]); }, {random_input({2, 3})}));
  for (bool keepdim : {false, true}) {
    EXPECT_TRUE(gradcheck_op("sum", [&](const auto& v) { return sum(v[0], {0, -1}, keepdim); },
                             {random_input({2, 3, 4})}));
    EXPECT_TRUE(gradcheck_op("sum", [&](const auto& v) { return sum(v[0], {1}, keepdim); }, {random_input({2, 3})}));
    EXPECT_TRUE(gradcheck_op("mean", [&](const auto& v) { return mean(v[0], {-2}, keepdim); },
                             {random_input({2, 3, 4})}));
    EXPECT_TRUE(gradcheck_op("mean", [&](const auto& v) { return mean(v[0], {0, 1, 2}, keepdim); },
                             {random_input({2, 3, 4})}));
    EXPECT_TRUE(gradcheck_op("max", [&](const auto& v) { return max(v[0], 1, keepdim); }, {random_input({2, 3, 4})}));
    EXPECT_TRUE(gradcheck_op("max", [&](const auto& v) { return max(v[0], -1, keepdim); }, {random_input({3, 4})}));
  }
}

TEST(Reduction, Errors) {
  Tensor x = zeros({2, 3});
  EXPECT_TRUE(throws<ValueError>([&] { sum(x, {2}); }, {"sum", "axis 2"}));
  EXPECT_TRUE(throws<ValueError>([&] { sum(x, {1, -1}); }, {"sum", "repeated"}));
  EXPECT_TRUE(throws<ValueError>([&] { mean(x, {-3}); }, {"mean", "axis -3"}));
  EXPECT_TRUE(throws<ValueError>([&] { mean(zeros({2, 0}), {1}); }, {"mean", "empty", "[2, 0]"}));
  EXPECT_TRUE(throws<ValueError>([&] { max(x, 2); }, {"max", "axis 2"}));
  EXPECT_TRUE(throws<ValueError>([&] { max(zeros({2, 0}), 1); }, {"max", "[2, 0]", "empty"}));
  EXPECT_TRUE(throws<ValueError>([&] { max(zeros({0})); }, {"max", "[0]", "empty"}));
  EXPECT_TRUE(throws<ValueError>([&] { sum(Tensor()); }, {"sum", "undefined"}));
}

}  // namespace
}  // namespace tg
