// ElmoLstm: directions never mix, residual connections from the second layer, gradcheck, names.
#include "support/support.hpp"

#include <nn/elmo_lstm.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

ElmoLstmOptions tiny() { return ElmoLstmOptions().dim(4).projection_dim(3).n_layers(2).cell_clip(1).proj_clip(0.8); }

TEST(ElmoLstm, DirectionsStayApartAndLayersAddTheirInput) {
  ElmoLstm lstm(tiny());
  Tensor x = randn({4, 2, 3});
  const std::vector<std::size_t> lengths{4, 2};
  std::vector<Tensor> layers = lstm.forward(x, lengths);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[1].shape(), (Shape{4, 2, 6}));
  // Layer 1 of each direction reads its own direction's layer 0 and adds it to its output.
  Tensor f0 = lstm.forward_layers[0]->forward(x, lengths), b0 = lstm.backward_layers[0]->forward(x, lengths);
  EXPECT_LT(test::max_abs_diff(layers[0], concat({f0, b0}, -1)), 1e-6);
  Tensor f1 = lstm.forward_layers[1]->forward(f0, lengths) + f0;
  Tensor b1 = lstm.backward_layers[1]->forward(b0, lengths) + b0;
  EXPECT_LT(test::max_abs_diff(layers[1], concat({f1, b1}, -1)), 1e-6);

  ElmoLstm plain(tiny().use_skip_connections(false));
  plain.load_state_dict(lstm.state_dict());
  Tensor f1_plain = lstm.forward_layers[1]->forward(f0, lengths);
  EXPECT_LT(test::max_abs_diff(narrow(plain.forward(x, lengths)[1], -1, 0, 3), f1_plain), 1e-6);
}

TEST(ElmoLstm, GradcheckAndNames) {
  ElmoLstm lstm(tiny());
  lstm.to(kFloat64);
  Tensor x = test::random_input({3, 2, 3});
  EXPECT_TRUE(gradcheck(lstm, [&] { return concat(lstm.forward(x, {3, 2}), -1); }).ok);
  std::vector<std::string> names;
  for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name);
  EXPECT_EQ(names.size(), 16u);
  EXPECT_EQ(names[0], "forward_layer_0.input_linearity.weight");
  EXPECT_EQ(names[4], "backward_layer_0.input_linearity.weight");
  EXPECT_EQ(names[15], "backward_layer_1.state_projection.weight");
  EXPECT_TRUE(test::throws<ShapeError>([&] { lstm.forward(zeros({3, 2, 4}, TensorOptions().dtype(kFloat64))); },
                                       {"ElmoLstm(dim=4, projection_dim=3", "[3, 2, 4]", "(L, N, 3)"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { lstm.forward(x, {3, 4}); }, {"ElmoLstm(", "lengths[1] = 4 is outside [1, 3]"}));
}

}  // namespace
}  // namespace tg::nn
