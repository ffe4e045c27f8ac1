// RNNCell, LSTMCell and GRUCell: parity with PyTorch's cells, float64 module gradchecks, unbatched
// inputs, default states and error messages.
#include "support/support.hpp"

#include <nn/rnn_cell.hpp>

namespace tg::nn {
namespace {

/// |a - b| <= atol + rtol * |b| everywhere.
void expect_close(const std::string& what, const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6) {
  ASSERT_TRUE(a.defined()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  xt::xarray<double> x = a.to(kFloat64).data<double>(), y = b.to(kFloat64).data<double>();
  EXPECT_TRUE(xt::all(xt::abs(x - y) <= atol + rtol * xt::abs(y))) << what << ": max |diff| "
                                                                   << xt::amax(xt::abs(x - y))();
}

/// Loads a PyTorch cell case into `cell`, runs one step and compares values and gradients.
template <class Cell, class Step>
void check_against_pytorch(Cell& cell, const std::string& name, Step step) {
  StateDict ref = load_npz(test::data_path("rnn/cells/" + name + ".npz"));
  StateDict weights;
  for (const auto& [key, t] : ref)
    if (key.rfind("weight_", 0) == 0 || key.rfind("bias_", 0) == 0) weights[key] = t;
  cell.load_state_dict(weights);
  Tensor x = ref.at("input").clone_leaf(true), h = ref.at("h").clone_leaf(true);
  Tensor c = ref.count("c") ? ref.at("c").clone_leaf(true) : Tensor();
  auto [h1, c1] = step(x, h, c);
  expect_close(name + " h'", h1, ref.at("h1"));
  Tensor loss = sum(h1 * ref.at("R"));
  if (c.defined()) {
    expect_close(name + " c'", c1, ref.at("c1"));
    loss = loss + sum(c1 * ref.at("T"));
  }
  loss.backward();
  expect_close(name + " grad_input", x.grad(), ref.at("grad_input"));
  expect_close(name + " grad_h", h.grad(), ref.at("grad_h"));
  if (c.defined()) expect_close(name + " grad_c", c.grad(), ref.at("grad_c"));
  for (const auto& [pname, p] : cell.named_parameters()) expect_close(name + " grad_" + pname, p.grad(), ref.at("grad_" + pname));
}

TEST(RecurrentCellModules, MatchPyTorch) {
  RNNCell tanh_cell(RNNCellOptions(4, 5));
  check_against_pytorch(tanh_cell, "rnn_cell_tanh", [&](auto& x, auto& h, auto&) {
    return std::pair{tanh_cell.forward(x, h), Tensor()};
  });
  RNNCell relu_cell(RNNCellOptions(4, 5).nonlinearity(RnnNonlinearity::Relu));
  check_against_pytorch(relu_cell, "rnn_cell_relu", [&](auto& x, auto& h, auto&) {
    return std::pair{relu_cell.forward(x, h), Tensor()};
  });
  LSTMCell lstm_cell(LSTMCellOptions(4, 5));
  check_against_pytorch(lstm_cell, "lstm_cell", [&](auto& x, auto& h, auto& c) {
    return lstm_cell.forward(x, RecurrentState{h, c});
  });
  GRUCell gru_cell(GRUCellOptions(4, 5));
  check_against_pytorch(gru_cell, "gru_cell", [&](auto& x, auto& h, auto&) {
    return std::pair{gru_cell.forward(x, h), Tensor()};
  });
}

/// Gradchecks a loss of one step with respect to the cell's parameters (by name), x and the state.
void gradcheck_cell(RecurrentCell& cell, const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& step,
                    bool with_c) {
  cell.to(kFloat64);
  Tensor x = test::random_input({3, cell.input_size()}, 1);
  Tensor h = test::random_input({3, cell.hidden_size()}, 2, 0.5);
  Tensor c = with_c ? test::random_input({3, cell.hidden_size()}, 3, 0.5) : Tensor();
  std::vector<std::pair<std::string, Tensor>> checked;
  for (const auto& [name, p] : cell.named_parameters()) checked.emplace_back(name, p);
  checked.insert(checked.end(), {{"input", x}, {"h", h}});
  if (with_c) checked.emplace_back("c", c);
  GradcheckResult r = gradcheck_named([&] { return step(x, h, c); }, checked, GradcheckOptions().no_raise());
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(RecurrentCellModules, Gradcheck) {
  Tensor weights = test::random_input({3, 4}, 9).detach();
  RNNCell rnn(RNNCellOptions(3, 4));
  gradcheck_cell(rnn, [&](auto& x, auto& h, auto&) { return sum(rnn.forward(x, h) * weights); }, false);
  RNNCell relu(RNNCellOptions(3, 4).nonlinearity(RnnNonlinearity::Relu).bias(false));
  gradcheck_cell(relu, [&](auto& x, auto& h, auto&) { return sum(relu.forward(x, h) * weights); }, false);
  LSTMCell lstm(LSTMCellOptions(3, 4));
  gradcheck_cell(lstm, [&](auto& x, auto& h, auto& c) {
    auto [h1, c1] = lstm.forward(x, RecurrentState{h, c});
    return sum(h1 * weights) + sum(c1 * c1);
  }, true);
  for (bool reset_after : {true, false}) {
    GRUCell gru(GRUCellOptions(3, 4).reset_after(reset_after));
    gradcheck_cell(gru, [&](auto& x, auto& h, auto&) { return sum(gru.forward(x, h) * weights); }, false);
  }
}

TEST(RecurrentCellModules, UnbatchedInputAndZeroDefaultState) {
  manual_seed(5);
  LSTMCell cell(LSTMCellOptions(3, 4));
  Tensor x = randn({2, 3});
  auto [h, c] = cell.forward(x);
  auto [h0, c0] = cell.forward(x, RecurrentState{zeros({2, 4}), zeros({2, 4})});
  EXPECT_EQ(test::max_abs_diff(h, h0), 0.0);
  EXPECT_EQ(test::max_abs_diff(c, c0), 0.0);
  xt::xarray<float> row = xt::view(x.data<float>(), 1);
  auto [hu, cu] = cell.forward(from_array(row));
  ASSERT_EQ(hu.shape(), (Shape{4}));
  xt::xarray<float> h_row = xt::view(h.data<float>(), 1);
  EXPECT_LT(xt::amax(xt::abs(hu.data<float>() - h_row))(), 1e-7);
  EXPECT_EQ(cu.shape(), (Shape{4}));
}

TEST(RecurrentCellModules, ParameterNamesAndInit) {
  manual_seed(6);
  GRUCell gru(GRUCellOptions(3, 16));
  std::vector<std::string> names;
  for (const auto& [name, p] : gru.named_parameters()) {
    names.push_back(name + shape_str(p.shape()));
    EXPECT_LE(xt::amax(xt::abs(p.data<float>()))(), 0.25f) << name;  // 1/sqrt(16)
  }
  EXPECT_EQ(names, (std::vector<std::string>{"weight_ih[48, 3]", "weight_hh[48, 16]", "bias_ih[48]", "bias_hh[48]"}));
}

TEST(RecurrentCellModules, BadInputNamesCellAndShapes) {
  LSTMCell cell(LSTMCellOptions(3, 4));
  try {
    cell.forward(zeros({2, 5}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("LSTMCell(input_size=3, hidden_size=4): input has 5 features at dim 1"),
              std::string::npos) << e.what();
  }
  try {
    cell.forward(zeros({2, 3}), RecurrentState{zeros({2, 4}), zeros({3, 4})});
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("c has shape [3, 4], expected [2, 4]"), std::string::npos) << e.what();
  }
  GRUCell gru(GRUCellOptions(3, 4));
  EXPECT_THROW(gru.forward(zeros({2, 3, 3})), ShapeError);
}

}  // namespace
}  // namespace tg::nn
