// AdamW: decoupled weight decay by hand, its default, parity with torch.optim.AdamW.
#include "support/optim_support.hpp"

namespace tg::optim {
namespace {

TEST(AdamW, DecaysTheParameterNotTheGradient) {
  Tensor p = tensor({2}, TensorOptions(kFloat64).requires_grad());
  AdamW adamw({{"p", p}}, AdamWOptions(0.1).weight_decay(0.5));
  test::set_grad(p, tensor({1}, kFloat64));
  adamw.step();  // p = 2 (1 - 0.1 * 0.5) = 1.9, then Adam's first step moves it by lr * m / (|m| + eps)
  EXPECT_NEAR(p.data<double>()(0), 1.9 - 0.1 / (1 + 1e-8), 1e-15);
}

TEST(AdamW, DefaultWeightDecayIsOneHundredth) {
  EXPECT_EQ(AdamWOptions().weight_decay(), 1e-2);
  EXPECT_EQ(AdamWOptions().lr(), 1e-3);
  EXPECT_EQ(AdamOptions().weight_decay(), 0.0);
}

TEST(AdamW, MatchesTorch) {
  EXPECT_LT(test::replay_optimizer_reference("adamw", [](auto w, auto b) {
    return std::make_unique<AdamW>(std::vector<ParamGroup<AdamWOptions>>{{w}, {b, AdamWOptions(1e-2).weight_decay(0.1)}},
                                   AdamWOptions(1e-2));
  }), 1e-14);
  EXPECT_LT(test::replay_optimizer_reference("adamw_amsgrad", [](auto w, auto b) {
    auto defaults = AdamWOptions(1e-2).weight_decay(0.05).amsgrad(true);
    return std::make_unique<AdamW>(std::vector<ParamGroup<AdamWOptions>>{{w}, {b, AdamWOptions(defaults).lr(2e-2)}},
                                   defaults);
  }), 1e-14);
}

TEST(AdamW, BitwiseIdenticalForAnyThreadCount) {
  const auto results = test::train_at_thread_counts([](const NamedParameters& params) {
    return std::make_unique<AdamW>(params, AdamWOptions(1e-2));
  }, {1, 4});
  EXPECT_TRUE(test::bitwise_equal(results[0], results[1]));
}

TEST(AdamW, RejectsBadOptionsNamingItself) {
  Tensor p = zeros({2}, TensorOptions().requires_grad());
  try {
    AdamW adamw({{"p", p}}, AdamWOptions().weight_decay(-0.5));
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "AdamW: invalid weight_decay = -0.5 (must be >= 0)");
  }
}

}  // namespace
}  // namespace tg::optim
