// The conv1d op (autograd/ops/conv1d.cpp): float64 gradchecks with and without bias, stride and
// padding; conv1d_max_over_time against max(conv1d) in values, gradients, ties and thread counts.
// The Conv1d module, its PyTorch parity and errors: tests/nn/conv1d_test.cpp.
#include "support/support.hpp"

namespace tg {
namespace {

TEST(Conv1dOp, Gradcheck) {
  Tensor x = test::random_input({2, 3, 7}, 1);
  Tensor w = test::random_input({4, 3, 3}, 2);
  Tensor b = test::random_input({4}, 3);
  EXPECT_TRUE(test::gradcheck_op("conv1d", [](const auto& in) { return conv1d(in[0], in[1], in[2]); }, {x, w, b}));
  EXPECT_TRUE(test::gradcheck_op("conv1d", [](const auto& in) { return conv1d(in[0], in[1], Tensor(), 2, 2); },
                                 {x, w}));
}

TEST(Conv1dMaxOverTimeOp, Gradcheck) {
  Tensor x = test::random_input({3, 2, 6}, 4);
  Tensor w = test::random_input({4, 2, 3}, 5);
  Tensor b = test::random_input({4}, 6);
  EXPECT_TRUE(test::gradcheck_op("conv1d_max_over_time",
                                 [](const auto& in) { return conv1d_max_over_time(in[0], in[1], in[2]); }, {x, w, b}));
  EXPECT_TRUE(test::gradcheck_op("conv1d_max_over_time",
                                 [](const auto& in) { return conv1d_max_over_time(in[0], in[1], Tensor(), 2, 2); },
                                 {x, w}));
}

/// Values and gradients (x, w, b) of f for the upstream gradient dy.
std::vector<Tensor> value_and_grads(const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f,
                                    const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy) {
  std::vector<Tensor> leaves{x.clone_leaf(true), w.clone_leaf(true), b.clone_leaf(true)};
  Tensor y = f(leaves[0], leaves[1], leaves[2]);
  sum(y * dy.detach()).backward();
  return {y.detach(), leaves[0].grad(), leaves[1].grad(), leaves[2].grad()};
}

TEST(Conv1dMaxOverTimeOp, SameAsMaxOfConv1dInPiecesAndOnTies) {
  // 40 sequences of 50 steps: products of 5 sequences, in two pieces; padding 1 and stride 2 move the windows.
  for (auto [stride, padding] : {std::pair<std::size_t, std::size_t>{1, 0}, {2, 1}}) {
    Tensor x = test::random_input({40, 3, 50}, 7), w = test::random_input({6, 3, 4}, 8);
    Tensor b = test::random_input({6}, 9), dy = test::random_input({40, 6}, 10);
    auto fused = [&](const Tensor& x, const Tensor& w, const Tensor& b) {
      return conv1d_max_over_time(x, w, b, stride, padding);
    };
    auto composed = [&](const Tensor& x, const Tensor& w, const Tensor& b) {
      return max(conv1d(x, w, b, stride, padding), -1);
    };
    const auto a = value_and_grads(fused, x, w, b, dy), e = value_and_grads(composed, x, w, b, dy);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LT(test::max_abs_diff(a[i], e[i]), 1e-12) << "output " << i;
    // A zero input makes every window tie: the gradient goes to the first, as max's does.
    const auto ta = value_and_grads(fused, zeros_like(x), w, b, dy), te = value_and_grads(composed, zeros_like(x), w, b, dy);
    for (std::size_t i = 0; i < ta.size(); ++i) EXPECT_LT(test::max_abs_diff(ta[i], te[i]), 1e-12) << "tied, output " << i;
  }
}

TEST(Conv1dMaxOverTimeOp, BadOperandsNameTheOp) {
  EXPECT_TRUE(test::throws<ShapeError>([] { conv1d_max_over_time(zeros({2, 3, 9}), zeros({4, 2, 3})); },
                                       {"conv1d_max_over_time: input [2, 3, 9] does not fit weight [4, 2, 3]"}));
  EXPECT_TRUE(test::throws<ShapeError>([] { conv1d_max_over_time(zeros({2, 3, 9}), zeros({4, 3, 3}), zeros({3})); },
                                       {"conv1d_max_over_time: bias [3]"}));
  EXPECT_TRUE(test::throws<ShapeError>([] { conv1d_max_over_time(zeros({2, 3, 2}), zeros({4, 3, 3})); },
                                       {"conv1d_max_over_time: kernel size 3 does not fit input length 2"}));
  EXPECT_TRUE(test::throws<ValueError>([] { conv1d_max_over_time(zeros({2, 3, 9}), zeros({4, 3, 3}), Tensor(), 0); },
                                       {"conv1d_max_over_time: stride must be positive"}));
}

TEST(Conv1dMaxOverTimeOp, SameBitsOnOneAndTwoThreads) {
  test::ThreadsGuard guard;
  Tensor x = test::random_input({64, 4, 30}, 11).to(kFloat32), w = test::random_input({32, 4, 5}, 12).to(kFloat32);
  Tensor b = test::random_input({32}, 13).to(kFloat32), dy = test::random_input({64, 32}, 14).to(kFloat32);
  auto fused = [](const Tensor& x, const Tensor& w, const Tensor& b) { return conv1d_max_over_time(x, w, b); };
  set_num_threads(1);
  const auto one = value_and_grads(fused, x, w, b, dy);
  set_num_threads(2);
  const auto two = value_and_grads(fused, x, w, b, dy);
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(test::same_bits(one[i], two[i])) << "output " << i;
}

}  // namespace
}  // namespace tg
