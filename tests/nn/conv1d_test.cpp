// Conv1d: the module's gradcheck, PyTorch parity (with stride, padding and without bias), max over
// time (composed, and fused: forward_max_over_time). The conv1d op itself: tests/autograd/conv1d_test.cpp.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/conv1d.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

TEST(Conv1d, ModuleGradcheck) {
  Conv1d conv(Conv1dOptions(2, 3, 2).stride(2).padding(1));
  conv.to(kFloat64);
  Tensor x = test::random_input({2, 2, 5});
  EXPECT_TRUE(gradcheck(conv, [&] { return conv.forward(x); }).ok);
}

TEST(Conv1d, MatchesPyTorch) {
  {
    test::Reference ref("nn/conv1d.npz");
    Conv1d conv(Conv1dOptions(3, 4, 3).stride(2).padding(1));
    conv.load_state_dict(ref.with_prefix("state."));
    Tensor x = ref.at("x").clone_leaf(true);
    test::expect_matches_reference(conv, ref, conv.forward(x), x);
  }
  {
    test::Reference ref("nn/conv1d_nobias.npz");
    Conv1d conv(Conv1dOptions(2, 5, 4).bias(false));
    conv.load_state_dict(ref.with_prefix("state."));
    Tensor x = ref.at("x").clone_leaf(true);
    test::expect_matches_reference(conv, ref, conv.forward(x), x);
  }
}

TEST(Conv1d, ShapesAndErrors) {
  Conv1d conv(Conv1dOptions(3, 4, 3).padding(1));
  EXPECT_EQ(conv.forward(zeros({2, 3, 10})).shape(), (Shape{2, 4, 10}));
  try {
    conv.forward(zeros({2, 5, 10}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Conv1d(3, 4, kernel_size=(3,), stride=(1,), padding=(1,)): input of shape [2, 5, 10] must be (N, 3, L)");
  }
  EXPECT_THROW(conv1d(zeros({1, 3, 2}), zeros({4, 3, 5})), ShapeError);
  EXPECT_THROW(conv1d(zeros({1, 3, 2}), zeros({4, 3, 1}), zeros({3})), ShapeError);
  EXPECT_THROW(Conv1d(Conv1dOptions(3, 4, 0)), ValueError);
}

TEST(Conv1d, MaxOverTime) {
  Tensor x = tensor({{{1, 5, 2}, {-1, -3, -2}}}, kFloat64);
  Tensor m = max_over_time(x);
  EXPECT_EQ(m.shape(), (Shape{1, 2}));
  EXPECT_EQ(m.data<double>()(0, 0), 5.0);
  EXPECT_EQ(m.data<double>()(0, 1), -1.0);
  EXPECT_TRUE(test::gradcheck_op("max_over_time", [](const auto& in) { return max_over_time(in[0]); },
                                 {test::random_input({2, 3, 4})}));
  EXPECT_THROW(max_over_time(zeros({2, 0})), ShapeError);

  Conv1d conv(Conv1dOptions(3, 4, 3).padding(1));
  conv.to(kFloat64);
  Tensor chars = test::random_input({5, 3, 9});
  EXPECT_LT(test::max_abs_diff(conv.forward_max_over_time(chars), max_over_time(conv.forward(chars))), 1e-12);
  EXPECT_TRUE(gradcheck(conv, [&] { return conv.forward_max_over_time(chars); }).ok);
  EXPECT_TRUE(test::throws<ShapeError>([&] { conv.forward_max_over_time(zeros({5, 2, 9}, kFloat64)); },
                                       {"Conv1d(3, 4, kernel_size=(3,)", "[5, 2, 9]", "(N, 3, L)"}));
}

}  // namespace
}  // namespace tg::nn
