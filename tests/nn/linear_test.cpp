// Linear: PyTorch parity, gradcheck, init, errors.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/linear.hpp>
#include <nn/module_gradcheck.hpp>

#include <cmath>

namespace tg::nn {
namespace {

TEST(Linear, MatchesPyTorch) {
  test::Reference ref("nn/linear.npz");
  Linear fc(5, 3);
  fc.load_state_dict(ref.with_prefix("state."));
  Tensor x = ref.at("x").clone_leaf(true);
  test::expect_matches_reference(fc, ref, fc.forward(x), x);
}

TEST(Linear, Gradcheck) {
  Linear fc(4, 3);
  fc.to(kFloat64);
  Tensor x = test::random_input({2, 5, 4});
  EXPECT_TRUE(gradcheck(fc, [&] { return fc.forward(x); }).ok);
  EXPECT_TRUE(test::gradcheck_op("Linear", [&](const auto& in) { return fc.forward(in[0]); }, {x}));
  Linear no_bias(4, 2, false);
  no_bias.to(kFloat64);
  EXPECT_EQ(no_bias.named_parameters().size(), 1u);
  EXPECT_TRUE(gradcheck(no_bias, [&] { return no_bias.forward(x); }).ok);
}

TEST(Linear, DefaultInitIsPyTorchs) {
  Linear fc(400, 300);
  const double bound = 1 / std::sqrt(400.0);
  EXPECT_LE(xt::amax(xt::abs(fc.weight.data<float>()))(), bound);
  EXPECT_GT(xt::amax(xt::abs(fc.weight.data<float>()))(), 0.99 * bound);
  EXPECT_LE(xt::amax(xt::abs(fc.bias.data<float>()))(), bound);
}

TEST(Linear, WrongInputNamesTheModuleAndShape) {
  Linear fc(4, 3);
  try {
    fc.forward(zeros({2, 5}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Linear(in_features=4, out_features=3, bias=true): input of shape [2, 5] must have 4 features in its "
              "last dimension");
  }
}

TEST(Linear, Prints) {
  EXPECT_EQ(Linear(4, 3).str(), "Linear(in_features=4, out_features=3, bias=true)  {weight [3, 4], bias [3]}  # 15 parameters");
}

}  // namespace
}  // namespace tg::nn
