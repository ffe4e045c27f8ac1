// LstmCellWithProjection: the sequence op it runs against its composition from basic ops (values and
// gradients, clipping and lengths in both directions); without clipping it is PyTorch's projected
// LSTM (nn::LSTM with proj_size); gradcheck, names and errors. Parity with AllenNLP's code, clipping
// included, is in elmo_test.cpp.
#include "support/support.hpp"

#include <nn/lstm_cell_with_projection.hpp>
#include <nn/module_gradcheck.hpp>
#include <nn/rnn.hpp>

namespace tg::nn {
namespace {

LstmCellWithProjectionOptions small(bool forward = true) {
  return LstmCellWithProjectionOptions(3, 2, 4).go_forward(forward);
}

// AllenNLP's step, composed of basic ops: the twin of the fused sequence op. x (L, N, I).
Tensor composed(const LstmCellWithProjection& layer, const Tensor& x, const std::vector<std::size_t>& lengths) {
  const auto& o = layer.options;
  const std::size_t steps = x.shape()[0], batch = x.shape()[1];
  Tensor h = zeros({batch, o.hidden_size_}, TensorOptions().dtype(x.dtype()));
  Tensor c = zeros({batch, o.cell_size_}, TensorOptions().dtype(x.dtype()));
  std::vector<Tensor> outputs(steps);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t t = o.go_forward_ ? s : steps - 1 - s;
    std::vector<Tensor> g = chunk(linear(select(x, 0, t), layer.input_linearity->weight) +
                                      linear(h, layer.state_linearity->weight, layer.state_linearity->bias),
                                  4, -1);
    Tensor c_next = clamp(sigmoid(g[0]) * tanh(g[2]) + sigmoid(g[1]) * c, -o.memory_cell_clip_value_,
                          o.memory_cell_clip_value_);
    Tensor h_next = clamp(linear(sigmoid(g[3]) * tanh(c_next), layer.state_projection->weight),
                          -o.state_projection_clip_value_, o.state_projection_clip_value_);
    Mask valid = xt::ones<bool>({batch, std::size_t(1)});
    for (std::size_t n = 0; n < lengths.size(); ++n) valid(n, 0) = t < lengths[n];
    c = tg::where(valid, c_next, c);
    h = tg::where(valid, h_next, h);
    outputs[t] = tg::where(valid, h_next, zeros_like(h_next));
  }
  return stack(outputs, 0);
}

TEST(LstmCellWithProjection, TheSequenceOpMatchesItsComposedTwin) {
  for (bool forward : {true, false}) {
    LstmCellWithProjection layer(small(forward).memory_cell_clip_value(0.6).state_projection_clip_value(0.25));
    layer.to(kFloat64);
    Tensor x = test::random_input({5, 3, 3}, 7, 2.0);
    const std::vector<std::size_t> lengths{5, 2, 4};
    Tensor dy = test::random_input({5, 3, 2}, 8);
    const auto [fused_x, fused_w] = [&] {
      layer.zero_grad();
      Tensor xi = x.clone_leaf(true);
      sum(layer.forward(xi, lengths) * dy).backward();
      return std::pair{xi.grad(), layer.state_linearity->weight.grad()};
    }();
    layer.zero_grad();
    Tensor xi = x.clone_leaf(true);
    Tensor y = composed(layer, xi, lengths);
    sum(y * dy).backward();
    EXPECT_LT(test::max_abs_diff(layer.forward(x, lengths), y), 1e-12);
    EXPECT_LT(test::max_abs_diff(fused_x, xi.grad()), 1e-12);
    EXPECT_LT(test::max_abs_diff(fused_w, layer.state_linearity->weight.grad()), 1e-12);
  }
}

TEST(LstmCellWithProjection, WithoutClippingItIsPyTorchsProjectedLstm) {
  for (bool forward : {true, false}) {
    LstmCellWithProjection layer(small(forward));
    LSTM lstm(LSTMOptions(3, 4).proj_size(2).bidirectional(!forward));
    const std::string suffix = forward ? "_l0" : "_l0_reverse";
    StateDict state = lstm.state_dict();
    state["weight_ih" + suffix] = layer.input_linearity->weight;
    state["weight_hh" + suffix] = layer.state_linearity->weight;
    state["bias_ih" + suffix] = zeros({16});
    state["bias_hh" + suffix] = layer.state_linearity->bias;
    state["weight_hr" + suffix] = layer.state_projection->weight;
    lstm.load_state_dict(state);
    Tensor x = randn({5, 3, 3});
    Tensor expected = lstm.forward(x, {}, {5, 2, 4}).output;
    if (!forward) expected = narrow(expected, -1, 2, 2);
    EXPECT_LT(test::max_abs_diff(layer.forward(x, {5, 2, 4}), expected), 1e-6) << "go_forward " << forward;
  }
}

TEST(LstmCellWithProjection, ClipsTheCellAndTheProjection) {
  LstmCellWithProjection clipped(small().memory_cell_clip_value(0.05).state_projection_clip_value(0.02));
  Tensor x = randn({4, 2, 3}, TensorOptions(), nullptr) * 5.0;
  Tensor h = clipped.forward(x);
  EXPECT_LE(xt::amax(xt::abs(h.data<float>()))(), 0.02f + 1e-7f);
  EXPECT_EQ(xt::amax(xt::abs(h.data<float>()))(), 0.02f);  // the bound is reached: it clips
}

TEST(LstmCellWithProjection, SequencesEndAtTheirLengthInBothDirections) {
  for (bool forward : {true, false}) {
    LstmCellWithProjection layer(small(forward).memory_cell_clip_value(1).state_projection_clip_value(0.5));
    Tensor x = randn({5, 2, 3});
    Tensor batched = layer.forward(x, {5, 3});
    // Sequence 1 alone, on its own 3 steps: the same outputs, and zeros after them.
    Tensor alone = layer.forward(narrow(narrow(x, 1, 1, 1), 0, 0, 3));
    EXPECT_LT(test::max_abs_diff(narrow(narrow(batched, 1, 1, 1), 0, 0, 3), alone), 1e-6);
    EXPECT_TRUE(xt::all(xt::equal(narrow(narrow(batched, 1, 1, 1), 0, 3, 2).data<float>(), 0.0f)));
  }
}

TEST(LstmCellWithProjection, Gradcheck) {
  for (bool forward : {true, false}) {
    LstmCellWithProjection layer(small(forward).memory_cell_clip_value(0.7).state_projection_clip_value(0.3));
    layer.to(kFloat64);
    Tensor x = test::random_input({4, 3, 3});
    EXPECT_TRUE(gradcheck(layer, [&] { return layer.forward(x, {4, 1, 2}); }).ok);
    EXPECT_TRUE(test::gradcheck_op("LstmCellWithProjection", [&](const auto& in) { return layer.forward(in[0], {4, 1, 2}); }, {x}));
  }
}

TEST(LstmCellWithProjection, NamesInitAndErrors) {
  LstmCellWithProjection layer(small());
  std::vector<std::string> names;
  for (const auto& [name, p] : layer.named_parameters()) names.push_back(name + shape_str(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{"input_linearity.weight[16, 3]", "state_linearity.weight[16, 2]",
                                             "state_linearity.bias[16]", "state_projection.weight[2, 4]"}));
  const auto& b = layer.state_linearity->bias.data<float>();
  EXPECT_EQ(xt::sum(b)(), 4.0f);  // the forget gate's 4 biases are 1, the rest 0
  EXPECT_TRUE(test::throws<ShapeError>([&] { layer.forward(zeros({2, 1, 4})); },
                                       {"LstmCellWithProjection(input_size=3, hidden_size=2, cell_size=4", "[2, 1, 4]", "(L, N, 3)"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { layer.forward(zeros({2, 1, 3}), {3}); }, {"LstmCellWithProjection(", "lengths[0] = 3 is outside [1, 2]"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { layer.forward(zeros({2, 2, 3}), {1}); }, {"1 lengths for a batch of 2"}));
}

}  // namespace
}  // namespace tg::nn
