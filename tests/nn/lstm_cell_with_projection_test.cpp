// LstmCellWithProjection: without clipping it is PyTorch's projected LSTM (nn::LSTM with proj_size);
// clipping, lengths in both directions, gradcheck, names and errors. Parity with AllenNLP's code,
// clipping included, is in elmo_test.cpp.
#include "support/support.hpp"

#include <nn/lstm_cell_with_projection.hpp>
#include <nn/module_gradcheck.hpp>
#include <nn/rnn.hpp>

namespace tg::nn {
namespace {

LstmCellWithProjectionOptions small(bool forward = true) {
  return LstmCellWithProjectionOptions(3, 2, 4).go_forward(forward);
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
  EXPECT_TRUE(test::throws<ValueError>([&] { layer.forward(zeros({2, 1, 3}), {3}); }, {"lengths[0] = 3 is outside [0, 2]"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { layer.forward(zeros({2, 2, 3}), {1}); }, {"1 lengths for a batch of 2"}));
}

}  // namespace
}  // namespace tg::nn
