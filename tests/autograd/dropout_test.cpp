// Inverted dropout.
#include "support/support.hpp"

#include <thread>

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

TEST(Dropout, IdentityWhenNotTrainingOrPZero) {
  Tensor x = random_input({3, 4});
  EXPECT_EQ(dropout(x, 0.5, false).impl_ptr(), x.impl_ptr());
  EXPECT_EQ(dropout(x, 0.0, true).impl_ptr(), x.impl_ptr());
}

TEST(Dropout, ZeroesAboutPAndScalesTheRest) {
  Generator g(3);
  Tensor x = ones({100000}, kFloat64);
  const xt::xarray<double> y = dropout(x, 0.3, true, &g).data<double>();
  std::size_t zeros_seen = 0;
  for (double v : y) {
    if (v == 0) ++zeros_seen;
    else EXPECT_DOUBLE_EQ(v, 1 / 0.7);
  }
  EXPECT_NEAR(static_cast<double>(zeros_seen) / 100000, 0.3, 0.01);
  EXPECT_NEAR(xt::mean(y)(), 1.0, 0.02);  // the expectation is kept
}

TEST(Dropout, POneGivesZeros) {
  Tensor x = random_input({4});
  Tensor y = dropout(x, 1.0, true);
  EXPECT_EQ(y.data<double>(), xt::zeros<double>({4}));
  sum(y).backward();
  EXPECT_EQ(x.grad().data<double>(), xt::zeros<double>({4}));
}

TEST(Dropout, SeedableAndDefaultGeneratorFollowsManualSeed) {
  Tensor x = ones({50}, kFloat32);
  Generator g1(11), g2(11);
  EXPECT_EQ(test::max_abs_diff(dropout(x, 0.5, true, &g1), dropout(x, 0.5, true, &g2)), 0.0);
  manual_seed(5);
  Tensor a = dropout(x, 0.5, true);
  manual_seed(5);
  Tensor b = dropout(x, 0.5, true);
  EXPECT_EQ(test::max_abs_diff(a, b), 0.0);
  EXPECT_GT(test::max_abs_diff(a, dropout(x, 0.5, true)), 0.0);
}

TEST(Dropout, DefaultGeneratorIsSafeAcrossThreads) {
  Tensor x = ones({1000}, kFloat32);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) (void)dropout(x, 0.5, true);
    });
  for (auto& t : threads) t.join();
  SUCCEED();
}

TEST(Dropout, GradcheckWithAFixedMask) {
  // The same generator state on every call, so finite differences see the same mask.
  EXPECT_TRUE(gradcheck_op("dropout",
                           [](const auto& v) {
                             Generator g(7);
                             return dropout(v[0], 0.4, true, &g);
                           },
                           {random_input({3, 5})}));
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  Generator g(1);
  Tensor x = ones({200}, kFloat64).requires_grad_();
  Tensor y = dropout(x, 0.5, true, &g);
  sum(y).backward();
  EXPECT_EQ(x.grad().data<double>(), y.data<double>());  // x = 1, so y is the mask itself
}

TEST(Dropout, Errors) {
  Tensor x = zeros({2});
  EXPECT_TRUE(throws<ValueError>([&] { dropout(x, -0.1, true); }, {"dropout", "-0.1"}));
  EXPECT_TRUE(throws<ValueError>([&] { dropout(x, 1.5, false); }, {"dropout", "1.5"}));
  EXPECT_TRUE(throws<ValueError>([&] { dropout(x, NAN, true); }, {"dropout", "nan"}));
}

}  // namespace
}  // namespace tg
