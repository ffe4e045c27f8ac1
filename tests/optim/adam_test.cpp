// Adam: the update rule by hand, parity with torch.optim.Adam, option checks, thread determinism.
#include "support/optim_support.hpp"

#include <cmath>

namespace tg::optim {
namespace {

using test::replay_optimizer_reference;

TEST(Adam, TwoStepsByHand) {
  Tensor p = tensor({1}, TensorOptions(kFloat64).requires_grad());
  Adam adam({{"p", p}}, AdamOptions(0.1));
  test::set_grad(p, tensor({0.5}, kFloat64));
  adam.step();
  // m = 0.05, v = 0.00025; bias corrections 0.1 and 0.001: p -= 0.1/0.1 * 0.05 / (0.5 + 1e-8)
  const double p1 = 1 - 0.05 / (std::sqrt(0.00025) / std::sqrt(0.001) + 1e-8);
  EXPECT_NEAR(p.data<double>()(0), p1, 1e-15);
  EXPECT_NEAR(p1, 0.9, 1e-8);
  test::set_grad(p, tensor({-1}, kFloat64));
  adam.step();
  const double m = 0.9 * 0.05 - 0.1, v = 0.999 * 0.00025 + 0.001;
  const double p2 = p1 - 0.1 / (1 - 0.81) * m / (std::sqrt(v) / std::sqrt(1 - 0.999 * 0.999) + 1e-8);
  EXPECT_NEAR(p.data<double>()(0), p2, 1e-15);
  EXPECT_EQ(adam.state().at("p").at("step").item(), 2.0);
  EXPECT_NEAR(adam.state().at("p").at("exp_avg_sq").data<double>()(0), v, 1e-16);
}

TEST(Adam, AmsgradKeepsTheLargestSecondMoment) {
  Tensor p = tensor({0}, TensorOptions(kFloat64).requires_grad());
  Adam adam({{"p", p}}, AdamOptions(0.1).amsgrad(true));
  test::set_grad(p, tensor({2}, kFloat64));
  adam.step();
  test::set_grad(p, tensor({0}, kFloat64));
  adam.step();
  const auto& state = adam.state().at("p");
  EXPECT_NEAR(state.at("max_exp_avg_sq").data<double>()(0), 0.004, 1e-16);
  EXPECT_NEAR(state.at("exp_avg_sq").data<double>()(0), 0.999 * 0.004, 1e-16);
}

TEST(Adam, MatchesTorch) {
  EXPECT_LT(replay_optimizer_reference("adam", [](auto w, auto b) {
    return std::make_unique<Adam>(std::vector<ParamGroup<AdamOptions>>{{w}, {b, AdamOptions(5e-3)}}, AdamOptions(1e-2));
  }), 1e-14);
  EXPECT_LT(replay_optimizer_reference("adam_amsgrad", [](auto w, auto b) {
    auto defaults = AdamOptions(1e-2).betas(0.8, 0.99).eps(1e-6).weight_decay(0.1).amsgrad(true);
    return std::make_unique<Adam>(std::vector<ParamGroup<AdamOptions>>{{w}, {b, AdamOptions(defaults).lr(5e-3)}},
                                  defaults);
  }), 1e-14);
}

TEST(Adam, SkipsParametersWithoutGradient) {
  Tensor a = tensor({1}, TensorOptions(kFloat64).requires_grad()), b = tensor({1}, TensorOptions(kFloat64).requires_grad());
  Adam adam({{"a", a}, {"b", b}});
  test::set_grad(a, tensor({1}, kFloat64));
  adam.step();
  EXPECT_EQ(b.data<double>()(0), 1.0);
  EXPECT_FALSE(adam.state().contains("b"));
  EXPECT_EQ(adam.state().at("a").at("step").item(), 1.0);
}

TEST(Adam, RejectsBadOptions) {
  Tensor p = zeros({2}, TensorOptions().requires_grad());
  auto message = [&](AdamOptions o) { return test::error_of([&] { Adam({{"p", p}}, o); }); };
  EXPECT_EQ(message(AdamOptions(-1e-3)), "Adam: invalid lr = -0.001 (must be >= 0)");
  EXPECT_EQ(message(AdamOptions().eps(-1)), "Adam: invalid eps = -1 (must be >= 0)");
  EXPECT_EQ(message(AdamOptions().betas(1.0, 0.999)), "Adam: invalid beta1 = 1 (must be in [0, 1))");
  EXPECT_EQ(message(AdamOptions().betas(0.9, -0.1)), "Adam: invalid beta2 = -0.1 (must be in [0, 1))");
  EXPECT_EQ(message(AdamOptions().weight_decay(-1)), "Adam: invalid weight_decay = -1 (must be >= 0)");
  // NaN fails every range check but deserves its own word; infinity would pass them.
  EXPECT_EQ(message(AdamOptions(std::nan(""))), "Adam: invalid lr = nan (must be finite)");
  EXPECT_EQ(message(AdamOptions(INFINITY)), "Adam: invalid lr = inf (must be finite)");
  EXPECT_EQ(message(AdamOptions().eps(INFINITY)), "Adam: invalid eps = inf (must be finite)");
  EXPECT_EQ(message(AdamOptions().betas(std::nan(""), 0.999)), "Adam: invalid beta1 = nan (must be finite)");
  EXPECT_EQ(message(AdamOptions().weight_decay(INFINITY)), "Adam: invalid weight_decay = inf (must be finite)");
  EXPECT_EQ(test::error_of([&] { AdamW({{"p", p}}, AdamWOptions().weight_decay(std::nan(""))); }),
            "AdamW: invalid weight_decay = nan (must be finite)");
}

TEST(Adam, BitwiseIdenticalForAnyThreadCount) {
  const auto results = test::train_at_thread_counts([](const NamedParameters& params) {
    return std::make_unique<Adam>(params, AdamOptions(1e-2).amsgrad(true).weight_decay(1e-2));
  }, {1, 2, 4});
  EXPECT_TRUE(test::bitwise_equal(results[0], results[1]));
  EXPECT_TRUE(test::bitwise_equal(results[0], results[2]));
}

}  // namespace
}  // namespace tg::optim
