// SGD: the update rule by hand, parity with torch.optim.SGD, option checks, thread determinism.
#include "support/optim_support.hpp"

#include <cmath>

namespace tg::optim {
namespace {

using test::replay_optimizer_reference;

std::unique_ptr<Optimizer> make_sgd(NamedParameters w, NamedParameters b, SGDOptions defaults, SGDOptions group_b) {
  return std::make_unique<SGD>(std::vector<ParamGroup<SGDOptions>>{{std::move(w)}, {std::move(b), group_b}}, defaults);
}

TEST(SGD, MomentumAndWeightDecayByHand) {
  Tensor p = tensor({1, 2}, TensorOptions(kFloat64).requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(0.1).momentum(0.9).weight_decay(0.1));
  test::set_grad(p, tensor({0.5, -1}, kFloat64));
  sgd.step();  // d = g + 0.1 p = [0.6, -0.8]; the first buffer is d itself
  EXPECT_NEAR(p.data<double>()(0), 0.94, 1e-15);
  EXPECT_NEAR(p.data<double>()(1), 2.08, 1e-15);
  test::set_grad(p, tensor({1, 1}, kFloat64));
  sgd.step();  // d = [1.094, 1.208]; buf = 0.9 [0.6, -0.8] + d = [1.634, 0.488]
  EXPECT_NEAR(p.data<double>()(0), 0.7766, 1e-15);
  EXPECT_NEAR(p.data<double>()(1), 2.0312, 1e-15);
  EXPECT_NEAR(sgd.state().at("p").at("momentum_buffer").data<double>()(1), 0.488, 1e-15);
}

TEST(SGD, NesterovByHand) {
  Tensor p = tensor({1, 2}, TensorOptions(kFloat64).requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.1));
  test::set_grad(p, tensor({0.5, -1}, kFloat64));
  sgd.step();  // buf = d = [0.6, -0.8]; step along d + 0.9 buf = [1.14, -1.52]
  EXPECT_NEAR(p.data<double>()(0), 0.886, 1e-15);
  EXPECT_NEAR(p.data<double>()(1), 2.152, 1e-15);
}

TEST(SGD, PlainStepIsGradientDescent) {
  Tensor p = tensor({1, 2}, TensorOptions().requires_grad());  // float32
  SGD sgd({{"p", p}}, SGDOptions(0.5));
  test::set_grad(p, tensor({2, -2}));
  sgd.step();
  EXPECT_EQ(p.data<float>()(0), 0.0f);
  EXPECT_EQ(p.data<float>()(1), 3.0f);
  EXPECT_TRUE(sgd.state().empty());  // no momentum, no state
}

TEST(SGD, MatchesTorch) {
  EXPECT_LT(replay_optimizer_reference("sgd_plain", [](auto w, auto b) {
    return make_sgd(w, b, SGDOptions(0.1), SGDOptions(0.05));
  }), 1e-14);
  EXPECT_LT(replay_optimizer_reference("sgd_momentum", [](auto w, auto b) {
    return make_sgd(w, b, SGDOptions(0.1).momentum(0.9), SGDOptions(0.05).momentum(0.9));
  }), 1e-14);
  EXPECT_LT(replay_optimizer_reference("sgd_nesterov", [](auto w, auto b) {
    auto defaults = SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01);
    return make_sgd(w, b, defaults, SGDOptions(defaults).lr(0.05));
  }), 1e-14);
  EXPECT_LT(replay_optimizer_reference("sgd_dampening", [](auto w, auto b) {
    auto defaults = SGDOptions(0.05).momentum(0.8).dampening(0.3).weight_decay(0.1);
    return make_sgd(w, b, defaults, SGDOptions(defaults).weight_decay(0));
  }), 1e-14);
}

TEST(SGD, RejectsBadOptions) {
  Tensor p = zeros({2}, TensorOptions().requires_grad());
  auto message = [&](SGDOptions o) { return test::error_of([&] { SGD({{"p", p}}, o); }); };
  EXPECT_EQ(message(SGDOptions(-0.1)), "SGD: invalid lr = -0.1 (must be >= 0)");
  EXPECT_EQ(message(SGDOptions(0.1).momentum(-1)), "SGD: invalid momentum = -1 (must be >= 0)");
  EXPECT_EQ(message(SGDOptions(0.1).weight_decay(-1e-4)), "SGD: invalid weight_decay = -0.0001 (must be >= 0)");
  EXPECT_EQ(message(SGDOptions(0.1).nesterov(true)),
            "SGD: nesterov = true needs momentum > 0 and dampening = 0, got momentum = 0, dampening = 0");
  EXPECT_NE(message(SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)).find("dampening = 0.1"),
            std::string::npos);
  // Every option must be a finite number; dampening scales the gradient by 1 - dampening, so outside
  // [0, 1] it would flip or amplify the update.
  EXPECT_EQ(message(SGDOptions(std::nan(""))), "SGD: invalid lr = nan (must be finite)");
  EXPECT_EQ(message(SGDOptions(INFINITY)), "SGD: invalid lr = inf (must be finite)");
  EXPECT_EQ(message(SGDOptions(0.1).momentum(std::nan(""))), "SGD: invalid momentum = nan (must be finite)");
  EXPECT_EQ(message(SGDOptions(0.1).weight_decay(INFINITY)), "SGD: invalid weight_decay = inf (must be finite)");
  EXPECT_EQ(message(SGDOptions(0.1).momentum(0.9).dampening(1.5)), "SGD: invalid dampening = 1.5 (must be in [0, 1])");
  EXPECT_EQ(message(SGDOptions(0.1).momentum(0.9).dampening(-0.1)), "SGD: invalid dampening = -0.1 (must be in [0, 1])");
  EXPECT_EQ(message(SGDOptions(0.1).momentum(0.9).dampening(1)), "no error");
  // A group's own options are checked too.
  EXPECT_THROW(SGD({{NamedParameters{{"p", p}}, SGDOptions(-1)}}, SGDOptions(0.1)), ValueError);
}

TEST(SGD, BitwiseIdenticalForAnyThreadCount) {
  const auto results = test::train_at_thread_counts([](const NamedParameters& params) {
    return std::make_unique<SGD>(params, SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-3));
  }, {1, 2, 4});
  EXPECT_TRUE(test::bitwise_equal(results[0], results[1]));
  EXPECT_TRUE(test::bitwise_equal(results[0], results[2]));
}

}  // namespace
}  // namespace tg::optim
