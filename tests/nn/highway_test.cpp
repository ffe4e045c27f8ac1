// Highway: parity with AllenNLP's layer (transcribed in tools/references/nn.py), init, gradcheck.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/highway.hpp>
#include <nn/linear.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

TEST(Highway, MatchesAllenNlp) {
  test::Reference ref("nn/highway.npz");
  Highway highway(4, 2);
  highway.load_state_dict(ref.with_prefix("state."));  // names as AllenNLP's: _layers.0.weight, ...
  Tensor x = ref.at("x").clone_leaf(true);
  test::expect_matches_reference(highway, ref, highway.forward(x), x);
}

TEST(Highway, GateBiasStartsAtOneSoTheInputIsCarried) {
  Highway highway(3, 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& b = highway.layers->at<Linear>(i)->bias.data<float>();
    EXPECT_EQ(b.shape(), (Shape{6}));
    for (std::size_t j = 3; j < 6; ++j) EXPECT_EQ(b(j), 1.0f);
    EXPECT_LE(xt::amax(xt::abs(xt::view(b, xt::range(0, 3))))(), 1 / std::sqrt(3.0f));
  }
}

TEST(Highway, Gradcheck) {
  Highway highway(HighwayOptions(3).num_layers(2).activation([](const Tensor& x) { return tanh(x); }));
  highway.to(kFloat64);
  Tensor x = test::random_input({2, 3});
  EXPECT_TRUE(gradcheck(highway, [&] { return highway.forward(x); }).ok);
  EXPECT_TRUE(test::gradcheck_op("Highway", [&](const auto& in) { return highway.forward(in[0]); }, {x}));
}

TEST(Highway, ErrorsAndPrintout) {
  Highway highway(3, 1);
  EXPECT_TRUE(test::throws<ShapeError>([&] { highway.forward(zeros({2, 4})); }, {"Highway(size=3, num_layers=1)", "[2, 4]"}));
  EXPECT_EQ(highway.str(),
            "Highway(\n"
            "  size=3, num_layers=1\n"
            "  (_layers): ModuleList(\n"
            "    (0): Linear(in_features=3, out_features=6, bias=true)  {weight [6, 3], bias [6]}\n"
            "  )\n"
            ")  # 24 parameters");
}

}  // namespace
}  // namespace tg::nn
