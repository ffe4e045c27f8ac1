// The conv1d op (autograd/ops/conv1d.cpp): float64 gradchecks with and without bias, stride and
// padding. The Conv1d module, its PyTorch parity and errors: tests/nn/conv1d_test.cpp.
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

}  // namespace
}  // namespace tg
