// Initializers: bounds, moments, fans, orthogonality and seeding, against PyTorch's formulas.
#include "support/support.hpp"

#include <nn/init.hpp>

#include <cmath>

namespace tg::nn::init {
namespace {

double mean_of(const Tensor& t) { return xt::mean(t.to(kFloat64).data<double>())(); }
double std_of(const Tensor& t) { return xt::stddev(t.to(kFloat64).data<double>())(); }
double max_abs(const Tensor& t) { return xt::amax(xt::abs(t.to(kFloat64).data<double>()))(); }

TEST(Init, UniformAndNormalHaveTheRightRangeAndMoments) {
  Generator g(3);
  Tensor u = zeros({200, 100});
  uniform_(u, -2, 3, &g);
  EXPECT_GE(xt::amin(u.data<float>())(), -2.0f);
  EXPECT_LT(xt::amax(u.data<float>())(), 3.0f);
  EXPECT_NEAR(mean_of(u), 0.5, 0.05);
  Tensor n = zeros({200, 100}, kFloat64);
  normal_(n, 1.5, 0.5, &g);
  EXPECT_NEAR(mean_of(n), 1.5, 0.02);
  EXPECT_NEAR(std_of(n), 0.5, 0.02);
  EXPECT_THROW(uniform_(u, 1, 0), ValueError);
  EXPECT_THROW(normal_(u, 0, -1), ValueError);
}

TEST(Init, ConstantsFill) {
  Tensor t = randn({3, 2});
  EXPECT_EQ(max_abs(zeros_(t)), 0.0);
  EXPECT_EQ(mean_of(ones_(t)), 1.0);
  EXPECT_EQ(mean_of(constant_(t, 0.25)), 0.25);
}

TEST(Init, FansFollowPyTorch) {
  EXPECT_EQ(calculate_fan_in_and_fan_out(zeros({7, 3})), (std::pair<std::size_t, std::size_t>{3, 7}));
  EXPECT_EQ(calculate_fan_in_and_fan_out(zeros({8, 4, 5})), (std::pair<std::size_t, std::size_t>{20, 40}));
  EXPECT_THROW(calculate_fan_in_and_fan_out(zeros({5})), ShapeError);
  EXPECT_NEAR(calculate_gain(Nonlinearity::LeakyRelu, std::sqrt(5.0)), std::sqrt(1.0 / 3.0), 1e-12);
  EXPECT_NEAR(calculate_gain(Nonlinearity::Tanh), 5.0 / 3.0, 1e-12);
  EXPECT_NEAR(calculate_gain(Nonlinearity::Relu), std::sqrt(2.0), 1e-12);
}

TEST(Init, XavierAndKaimingBounds) {
  Tensor w = zeros({300, 200});
  xavier_uniform_(w, 2.0);
  const double xavier_bound = 2.0 * std::sqrt(6.0 / 500);
  EXPECT_LE(max_abs(w), xavier_bound);
  EXPECT_GT(max_abs(w), 0.95 * xavier_bound);
  xavier_normal_(w);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 500), 0.002);
  // PyTorch's Linear default: kaiming_uniform_(a = sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  kaiming_uniform_(w, std::sqrt(5.0));
  EXPECT_LE(max_abs(w), 1 / std::sqrt(200.0));
  EXPECT_GT(max_abs(w), 0.95 / std::sqrt(200.0));
  kaiming_normal_(w, 0, FanMode::FanOut, Nonlinearity::Relu);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 300), 0.002);
}

TEST(Init, OrthogonalIsOrthonormalForTallWideAndHigherRank) {
  for (Shape shape : {Shape{6, 4}, Shape{4, 6}, Shape{5, 5}, Shape{3, 2, 4}}) {
    Tensor w = zeros(shape, kFloat64);
    orthogonal_(w, 1.5);
    const std::size_t rows = shape[0], cols = w.numel() / rows;
    xt::xarray<double> m = w.data<double>();
    m.reshape({rows, cols});
    const bool wide = rows < cols;
    const std::size_t k = wide ? rows : cols;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) {
        double dot = 0;
        for (std::size_t e = 0; e < (wide ? cols : rows); ++e)
          dot += wide ? m(i, e) * m(j, e) : m(e, i) * m(e, j);
        EXPECT_NEAR(dot, i == j ? 2.25 : 0.0, 1e-12) << shape_str(shape) << " " << i << "," << j;
      }
  }
  EXPECT_THROW(orthogonal_(zeros({3})), ShapeError);
}

TEST(Init, SeededGeneratorsReproduce) {
  Generator a(11), b(11);
  Tensor x = zeros({4, 4}), y = zeros({4, 4});
  orthogonal_(x, 1, &a);
  orthogonal_(y, 1, &b);
  EXPECT_EQ(test::max_abs_diff(x, y), 0.0);
  manual_seed(5);
  kaiming_uniform_(x, std::sqrt(5.0));
  manual_seed(5);
  kaiming_uniform_(y, std::sqrt(5.0));
  EXPECT_EQ(test::max_abs_diff(x, y), 0.0);
}

}  // namespace
}  // namespace tg::nn::init
