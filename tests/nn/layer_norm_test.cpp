// LayerNorm: PyTorch parity, gradcheck with and without the affine part, errors.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/layer_norm.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

TEST(LayerNorm, MatchesPyTorch) {
  test::Reference ref("nn/layer_norm.npz");
  LayerNorm norm(6);
  norm.load_state_dict(ref.with_prefix("state."));
  Tensor x = ref.at("x").clone_leaf(true);
  test::expect_matches_reference(norm, ref, norm.forward(x), x);
}

TEST(LayerNorm, Gradcheck) {
  LayerNorm norm(5);
  norm.to(kFloat64);
  norm.weight.data<double>() = test::random_input({5}, 2).data<double>();  // not all ones
  norm.bias.data<double>() = test::random_input({5}, 3).data<double>();
  Tensor x = test::random_input({3, 5}, 4, 2.0);
  EXPECT_TRUE(gradcheck(norm, [&] { return norm.forward(x); }).ok);
  EXPECT_TRUE(test::gradcheck_op("LayerNorm", [&](const auto& in) { return norm.forward(in[0]); }, {x}));
  LayerNorm plain(LayerNormOptions(5).elementwise_affine(false).eps(1e-3));
  plain.to(kFloat64);
  EXPECT_EQ(plain.num_parameters(), 0u);
  EXPECT_TRUE(test::gradcheck_op("LayerNorm", [&](const auto& in) { return plain.forward(in[0]); }, {x}));
}

TEST(LayerNorm, NormalizesTheLastAxis) {
  LayerNorm norm(LayerNormOptions(4).elementwise_affine(false));
  Tensor y = norm.forward(randn({3, 4}) * 5.0 + 2.0);
  const auto& v = y.data<float>();
  for (std::size_t r = 0; r < 3; ++r) {
    double mean = 0, square = 0;
    for (std::size_t c = 0; c < 4; ++c) {
      mean += v(r, c) / 4.0;
      square += v(r, c) * v(r, c) / 4.0;
    }
    EXPECT_NEAR(mean, 0.0, 1e-5);
    EXPECT_NEAR(square - mean * mean, 1.0, 1e-3);  // the biased variance, as PyTorch
  }
}

TEST(LayerNorm, WrongInputNamesTheModuleAndShape) {
  LayerNorm norm(4);
  try {
    norm.forward(zeros({2, 3}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("LayerNorm((4,), eps=1e-05, elementwise_affine=true): input of shape [2, 3]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(LayerNorm(LayerNormOptions(4).eps(0)), ValueError);
}

}  // namespace
}  // namespace tg::nn
