// RNN, LSTM and GRU layers: parity with PyTorch on every reference file of tools/references/rnn.py,
// float64 module gradchecks (stacked, bidirectional, uneven lengths, projections), padding semantics
// and error messages.
#include "support/support.hpp"

#include <nn/rnn.hpp>

#include <filesystem>

namespace tg::nn {
namespace {

// ---- helpers --------------------------------------------------------------------------------

/// Elementwise |a - b| <= atol + rtol * |b| over two tensors of one shape; names the worst element.
::testing::AssertionResult close(const std::string& what, const Tensor& a, const Tensor& b, double rtol,
                                 double atol) {
  if (!a.defined() || !b.defined()) return ::testing::AssertionFailure() << what << ": undefined tensor";
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << what << ": shape " << shape_str(a.shape()) << " vs "
                                         << shape_str(b.shape());
  xt::xarray<double> x = a.to(kFloat64).data<double>(), y = b.to(kFloat64).data<double>();
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double excess = std::abs(x.data()[i] - y.data()[i]) - (atol + rtol * std::abs(y.data()[i]));
    if (excess > worst) worst = excess, at = i;
  }
  if (worst <= 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": element " << at << " is " << x.data()[at] << ", expected "
                                       << y.data()[at];
}

/// Max |a - b| / max(|b|, 1) over the elements: the relative error we report.
double relative_error(const Tensor& a, const Tensor& b) {
  xt::xarray<double> x = a.to(kFloat64).data<double>(), y = b.to(kFloat64).data<double>();
  return x.size() ? xt::amax(xt::abs(x - y) / xt::maximum(xt::abs(y), 1.0))() : 0.0;
}

std::shared_ptr<RecurrentLayer> make_layer(int mode, std::size_t in, std::size_t hidden, std::size_t layers,
                                           bool bidirectional, bool batch_first, std::size_t proj) {
  switch (mode) {
    case 0:
    case 1:
      return std::make_shared<RNN>(RNNOptions(in, hidden).num_layers(layers).bidirectional(bidirectional)
                                       .batch_first(batch_first)
                                       .nonlinearity(mode == 0 ? RnnNonlinearity::Tanh : RnnNonlinearity::Relu));
    case 2:
      return std::make_shared<LSTM>(LSTMOptions(in, hidden).num_layers(layers).bidirectional(bidirectional)
                                        .batch_first(batch_first).proj_size(proj));
    default:
      return std::make_shared<GRU>(GRUOptions(in, hidden).num_layers(layers).bidirectional(bidirectional)
                                       .batch_first(batch_first));
  }
}

std::vector<std::string> reference_cases() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("rnn")))
    if (entry.path().extension() == ".npz") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool is_parameter_name(const std::string& name) {
  return name.rfind("weight_", 0) == 0 || name.rfind("bias_", 0) == 0;
}

// ---- parity with PyTorch --------------------------------------------------------------------

class RnnReference : public ::testing::TestWithParam<std::string> {};

TEST_P(RnnReference, MatchesPyTorch) {
  const StateDict ref = load_npz(test::data_path("rnn/" + GetParam() + ".npz"));
  auto meta = [&](const std::string& key) { return static_cast<std::size_t>(ref.at("meta_" + key).item()); };
  const bool f64 = meta("float64") != 0;
  const Dtype dtype = f64 ? kFloat64 : kFloat32;
  auto layer = make_layer(static_cast<int>(meta("mode")), meta("input_size"), meta("hidden_size"),
                          meta("num_layers"), meta("bidirectional") != 0, meta("batch_first") != 0, meta("proj_size"));
  layer->to(dtype);
  StateDict weights;
  for (const auto& [name, t] : ref)
    if (is_parameter_name(name)) weights[name] = t;
  layer->load_state_dict(weights);  // strict: every PyTorch name must be ours and vice versa

  auto leaf = [&](const char* key) { return ref.count(key) ? ref.at(key).clone_leaf(true) : Tensor(); };
  Tensor input = leaf("input"), h0 = leaf("h0"), c0 = leaf("c0");
  std::vector<std::size_t> lengths;
  const Tensor stored_lengths = ref.at("lengths").to(kFloat64);
  for (double v : stored_lengths.data<double>()) lengths.push_back(static_cast<std::size_t>(v));

  RecurrentOutput out = layer->forward(input, {h0, c0}, lengths);
  const double rtol = f64 ? 1e-10 : 1e-5, atol = f64 ? 1e-12 : 1e-6;
  EXPECT_TRUE(close("output", out.output, ref.at("output"), rtol, atol));
  EXPECT_TRUE(close("h_n", out.h_n, ref.at("h_n"), rtol, atol));
  Tensor loss = sum(out.output * ref.at("R")) + sum(out.h_n * ref.at("S"));
  if (ref.count("c_n")) {
    EXPECT_TRUE(close("c_n", out.c_n, ref.at("c_n"), rtol, atol));
    loss = loss + sum(out.c_n * ref.at("T"));
  }
  loss.backward();

  double worst = relative_error(out.output, ref.at("output"));
  EXPECT_TRUE(close("grad_input", input.grad(), ref.at("grad_input"), rtol, atol));
  if (h0.defined()) {
    EXPECT_TRUE(close("grad_h0", h0.grad(), ref.at("grad_h0"), rtol, atol));
  }
  if (c0.defined()) {
    EXPECT_TRUE(close("grad_c0", c0.grad(), ref.at("grad_c0"), rtol, atol));
  }
  std::size_t checked = 0;
  for (const auto& [name, p] : layer->named_parameters()) {
    ASSERT_TRUE(ref.count("grad_" + name)) << name;
    EXPECT_TRUE(close("grad_" + name, p.grad(), ref.at("grad_" + name), rtol, atol));
    worst = std::max(worst, relative_error(p.grad(), ref.at("grad_" + name)));
    ++checked;
  }
  EXPECT_EQ(checked, weights.size());
  RecordProperty("max_relative_error", std::to_string(worst));
  std::cout << "[ parity   ] " << GetParam() << ": max relative error " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(AllCases, RnnReference, ::testing::ValuesIn(reference_cases()),
                         [](const auto& info) { return info.param; });

// ---- gradchecks -----------------------------------------------------------------------------

/// Gradchecks sum(output * R) + sum(h_n * S) [+ sum(c_n * T)] with respect to the layer's
/// parameters, the input and the initial states.
void gradcheck_layer(RecurrentLayer& layer, const Shape& input_shape, const Lengths& lengths, bool lstm) {
  layer.to(kFloat64);
  const std::size_t states = layer.num_directions() * layer.num_layers();
  const std::size_t batch = input_shape[1];  // the tests below use (L, N, in) unless batch_first
  Tensor x = test::random_input(input_shape, 3);
  Tensor h0 = test::random_input({states, batch, layer.output_size()}, 4, 0.5);
  Tensor c0 = lstm ? test::random_input({states, batch, layer.hidden_size()}, 5, 0.5) : Tensor();
  RecurrentOutput probe = layer.forward(x, {h0, c0}, lengths);
  Tensor r = test::random_input(probe.output.shape(), 6).detach(), s = test::random_input(probe.h_n.shape(), 7).detach();
  Tensor t = lstm ? test::random_input(probe.c_n.shape(), 8).detach() : Tensor();
  auto f = [&]() {
    RecurrentOutput out = layer.forward(x, {h0, c0}, lengths);
    Tensor loss = sum(out.output * r) + sum(out.h_n * s);
    return lstm ? loss + sum(out.c_n * t) : loss;
  };
  // The parameters by name (a failure reads "weight_hh_l1_reverse[3, 2]"), then input and states.
  std::vector<std::pair<std::string, Tensor>> checked;
  for (const auto& [name, p] : layer.named_parameters()) checked.emplace_back(name, p);
  checked.insert(checked.end(), {{"input", x}, {"h0", h0}});
  if (lstm) checked.emplace_back("c0", c0);
  GradcheckResult result = gradcheck_named(f, checked, GradcheckOptions().no_raise());
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(RecurrentGradcheck, RnnTanhAndRelu) {
  RNN tanh_rnn(RNNOptions(3, 4).num_layers(2).bidirectional(true));
  gradcheck_layer(tanh_rnn, {4, 3, 3}, {4, 2, 1}, false);
  RNN relu_rnn(RNNOptions(3, 4).nonlinearity(RnnNonlinearity::Relu));
  gradcheck_layer(relu_rnn, {4, 2, 3}, {}, false);
}

TEST(RecurrentGradcheck, LstmTwoLayersBidirectionalUnevenLengths) {
  LSTM lstm(LSTMOptions(3, 4).num_layers(2).bidirectional(true));
  gradcheck_layer(lstm, {4, 3, 3}, {4, 2, 1}, true);
}

TEST(RecurrentGradcheck, LstmWithProjection) {
  LSTM lstm(LSTMOptions(3, 4).num_layers(2).bidirectional(true).proj_size(2));
  gradcheck_layer(lstm, {4, 3, 3}, {3, 4, 1}, true);
}

TEST(RecurrentGradcheck, GruBothFormsAndBatchFirst) {
  GRU gru(GRUOptions(3, 4).num_layers(2).bidirectional(true));
  gradcheck_layer(gru, {4, 3, 3}, {4, 2, 1}, false);
  GRU paper(GRUOptions(3, 4).reset_after(false).bias(false));
  gradcheck_layer(paper, {4, 2, 3}, {2, 4}, false);
}

// ---- padding semantics ----------------------------------------------------------------------

/// x[:, b] (L, N, F) -> (len, 1, F), as a new leaf.
Tensor sequence(const Tensor& x, std::size_t b, std::size_t len) {
  xt::xarray<double> s = xt::view(x.data<double>(), xt::range(0, len), xt::range(b, b + 1), xt::all());
  return from_array(std::move(s), true);
}

TEST(RecurrentPadding, PaddedBatchEqualsEachSequenceAlone) {
  manual_seed(11);
  for (int mode : {0, 2, 3}) {
    auto layer = make_layer(mode, 3, 4, 2, true, false, mode == 2 ? 2 : 0);
    layer->to(kFloat64);
    const std::vector<std::size_t> lengths{5, 2, 4};
    Tensor x = test::random_input({5, 3, 3}, 21);
    RecurrentOutput batched = layer->forward(x, {}, lengths);
    Tensor r = test::random_input(batched.output.shape(), 22).detach();
    sum(batched.output * r).backward();
    const xt::xarray<double>& dx = x.grad().data<double>();
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      SCOPED_TRACE(::testing::Message() << "mode " << mode << ", sequence " << b);
      const std::size_t len = lengths[b];
      Tensor alone_x = sequence(x, b, len);
      RecurrentOutput alone = layer->forward(alone_x);
      xt::xarray<double> got = xt::view(batched.output.data<double>(), xt::range(0, len), xt::range(b, b + 1), xt::all());
      EXPECT_LT(xt::amax(xt::abs(got - alone.output.data<double>()))(), 1e-12);
      xt::xarray<double> hn = xt::view(batched.h_n.data<double>(), xt::all(), xt::range(b, b + 1), xt::all());
      EXPECT_LT(xt::amax(xt::abs(hn - alone.h_n.data<double>()))(), 1e-12);
      // Output is zero past the end, as pad_packed_sequence gives.
      xt::xarray<double> tail = xt::view(batched.output.data<double>(), xt::range(len, 5), b, xt::all());
      EXPECT_EQ(tail.size() ? xt::amax(xt::abs(tail))() : 0.0, 0.0);
      // The same gradient reaches the valid steps, and none the padded ones.
      xt::xarray<double> rb = xt::view(r.data<double>(), xt::range(0, len), xt::range(b, b + 1), xt::all());
      sum(alone.output * from_array(rb)).backward();
      xt::xarray<double> dx_valid = xt::view(dx, xt::range(0, len), xt::range(b, b + 1), xt::all());
      EXPECT_LT(xt::amax(xt::abs(dx_valid - alone_x.grad().data<double>()))(), 1e-12);
      xt::xarray<double> dx_pad = xt::view(dx, xt::range(len, 5), b, xt::all());
      EXPECT_EQ(dx_pad.size() ? xt::amax(xt::abs(dx_pad))() : 0.0, 0.0);
    }
  }
}

TEST(RecurrentPadding, PaddedValuesDoNotMatter) {
  manual_seed(12);
  LSTM lstm(LSTMOptions(3, 4).bidirectional(true));
  Tensor x = randn({5, 2, 3});
  Tensor y = x.detach();
  xt::view(y.data<float>(), xt::range(3, 5), 1, xt::all()) = 1e3f;  // garbage where sequence 1 is padded
  RecurrentOutput a = lstm.forward(x, {}, {5, 3}), b = lstm.forward(y, {}, {5, 3});
  EXPECT_EQ(test::max_abs_diff(a.output, b.output), 0.0);
  EXPECT_EQ(test::max_abs_diff(a.h_n, b.h_n), 0.0);
  EXPECT_EQ(test::max_abs_diff(a.c_n, b.c_n), 0.0);
}

// ---- structure, options, errors -------------------------------------------------------------

TEST(RecurrentLayer, ParameterNamesShapesAndInit) {
  manual_seed(13);
  LSTM lstm(LSTMOptions(3, 5).num_layers(2).bidirectional(true).proj_size(2));
  std::vector<std::string> names;
  for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name + shape_str(p.shape()));
  const std::vector<std::string> expected{
      "weight_ih_l0[20, 3]", "weight_hh_l0[20, 2]", "bias_ih_l0[20]", "bias_hh_l0[20]", "weight_hr_l0[2, 5]",
      "weight_ih_l0_reverse[20, 3]", "weight_hh_l0_reverse[20, 2]", "bias_ih_l0_reverse[20]",
      "bias_hh_l0_reverse[20]", "weight_hr_l0_reverse[2, 5]",
      "weight_ih_l1[20, 4]", "weight_hh_l1[20, 2]", "bias_ih_l1[20]", "bias_hh_l1[20]", "weight_hr_l1[2, 5]",
      "weight_ih_l1_reverse[20, 4]", "weight_hh_l1_reverse[20, 2]", "bias_ih_l1_reverse[20]",
      "bias_hh_l1_reverse[20]", "weight_hr_l1_reverse[2, 5]"};
  EXPECT_EQ(names, expected);
  const double bound = 1 / std::sqrt(5.0);
  for (const auto& [name, p] : lstm.named_parameters()) {
    EXPECT_LE(xt::amax(xt::abs(p.data<float>()))(), bound) << name;
    EXPECT_TRUE(p.requires_grad()) << name;
  }
  GRU gru(GRUOptions(3, 4).bias(false));
  EXPECT_EQ(gru.named_parameters().size(), 2u);
}

TEST(RecurrentLayer, PrintsItsSettings) {
  LSTM lstm(LSTMOptions(3, 5).num_layers(2).bidirectional(true).proj_size(2));
  EXPECT_NE(lstm.str().find("LSTM(3, 5, num_layers=2, bidirectional=true, proj_size=2)"), std::string::npos)
      << lstm.str();
  GRU gru(GRUOptions(3, 4).batch_first(true).reset_after(false));
  EXPECT_NE(gru.str().find("GRU(3, 4, batch_first=true, reset_after=false)"), std::string::npos) << gru.str();
}

TEST(RecurrentLayer, OutputShapesAndBatchFirst) {
  manual_seed(14);
  LSTM lstm(LSTMOptions(3, 5).num_layers(2).bidirectional(true).batch_first(true));
  RecurrentOutput out = lstm.forward(randn({4, 6, 3}));  // N=4, L=6
  EXPECT_EQ(out.output.shape(), (Shape{4, 6, 10}));
  EXPECT_EQ(out.h_n.shape(), (Shape{4, 4, 5}));
  EXPECT_EQ(out.c_n.shape(), (Shape{4, 4, 5}));
  GRU gru(GRUOptions(3, 5));
  RecurrentOutput g = gru.forward(randn({6, 4, 3}));
  EXPECT_EQ(g.output.shape(), (Shape{6, 4, 5}));
  EXPECT_FALSE(g.c_n.defined());
}

TEST(RecurrentLayer, DropoutBetweenLayersOnlyWhenTraining) {
  manual_seed(15);
  LSTM lstm(LSTMOptions(3, 5).num_layers(2).dropout(0.5));
  Tensor x = randn({4, 2, 3});
  lstm.eval();
  EXPECT_EQ(test::max_abs_diff(lstm.forward(x).output, lstm.forward(x).output), 0.0);
  lstm.train();
  EXPECT_GT(test::max_abs_diff(lstm.forward(x).output, lstm.forward(x).output), 0.0);
}

/// Whether f throws a tapegrad Error whose message contains `part`.
template <class F>
::testing::AssertionResult throws_with(F&& f, const std::string& part) {
  try {
    f();
  } catch (const Error& e) {
    if (std::string(e.what()).find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message \"" << e.what() << "\" lacks \"" << part << "\"";
  }
  return ::testing::AssertionFailure() << "no exception";
}

TEST(RecurrentLayer, BadInputNamesModuleAndShapes) {
  LSTM lstm(LSTMOptions(64, 8).num_layers(2));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 32})); }, "LSTM(input_size=64, hidden_size=8): input has 32 features at dim 2"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 32})); }, "must have 3 dimensions"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 64}), {zeros({1, 2, 8}), Tensor()}); }, "h0 has shape [1, 2, 8], expected [2, 2, 8]"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 64}), {}, {5, 6}); }, "lengths[1] = 6 is outside [1, 5]"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 64}), {}, {0, 5}); }, "lengths[0] = 0 is outside [1, 5]"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 64}), {}, {5}); }, "1 lengths for a batch of 2"));
  EXPECT_TRUE(throws_with([&] { lstm.forward(zeros({5, 2, 64}, kFloat64)); }, "float64"));
  GRU gru(GRUOptions(4, 8));
  EXPECT_TRUE(throws_with([&] { gru.forward(zeros({5, 2, 4}), {Tensor(), zeros({1, 2, 8})}); }, "only an LSTM has"));
  EXPECT_THROW(LSTM(LSTMOptions(4, 8).proj_size(8)), ValueError);
  EXPECT_THROW(GRU(GRUOptions(4, 8).dropout(1.5)), ValueError);
  EXPECT_THROW(RNN(RNNOptions(4, 8).num_layers(0)), ValueError);
}

TEST(RecurrentLayer, LengthsFromIndexArray) {
  manual_seed(16);
  GRU gru(GRUOptions(3, 4));
  Tensor x = randn({5, 3, 3});
  IndexArray lengths = {5, 3, 1};
  EXPECT_EQ(test::max_abs_diff(gru.forward(x, {}, lengths).h_n,
                               gru.forward(x, {}, std::vector<std::size_t>{5, 3, 1}).h_n), 0.0);
}

// Lengths as PyTorch takes them (pack_padded_sequence: a tensor or a list), or as read from an .npz.
TEST(RecurrentLayer, LengthsFromATensorOrAFile) {
  manual_seed(16);
  GRU gru(GRUOptions(3, 4));
  Tensor x = randn({5, 3, 3});
  const Tensor expected = gru.forward(x, {}, {5, 3, 1}).h_n;
  EXPECT_EQ(test::max_abs_diff(gru.forward(x, {}, tensor({5, 3, 1})).h_n, expected), 0.0);
  EXPECT_EQ(test::max_abs_diff(gru.forward(x, {}, tensor({5, 3, 1}, kFloat64)).h_n, expected), 0.0);

  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("tapegrad_lengths_{}.npz", ::getpid())).string();
  save_npz(path, {}, {{"lengths", IndexArray{5, 3, 1}}});
  const NpzArrays batch = load_npz_arrays(path);
  std::filesystem::remove(path);
  EXPECT_EQ(test::max_abs_diff(gru.forward(x, {}, batch.integer("lengths")).h_n, expected), 0.0);

  EXPECT_TRUE(test::throws<ValueError>([&] { gru.forward(x, {}, tensor({5, 2.5, 1})); },
                                       {"nn::Lengths: lengths[1] = 2.5 is not a length (a whole number of steps)"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { gru.forward(x, {}, IndexArray{{5, 3, 1}}); },
                                       {"nn::Lengths: lengths of shape [1, 3] must be 1-D"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { gru.forward(x, {}, tensor({{5, 3, 1}})); }, {"shape [1, 3] must be 1-D"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { gru.forward(x, {}, {5, -3, 1}); }, {"nn::Lengths: lengths[1] = -3 is negative"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { gru.forward(x, {}, IndexArray{5, 3, -1}); }, {"lengths[2] = -1 is negative"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { gru.forward(x, {}, tensor({5, -3, 1})); }, {"lengths[1] = -3 is not a length"}));
}

// PyTorch users look for the nonlinearity beside the layer that takes it.
TEST(RecurrentLayer, NonlinearityIsNamedInTheNnNamespace) {
  RNN rnn(RNNOptions(3, 4).nonlinearity(tg::nn::RnnNonlinearity::Relu));
  EXPECT_NE(rnn.str().find("nonlinearity=relu"), std::string::npos);
  RNNCell cell(RNNCellOptions(3, 4).nonlinearity(tg::nn::RnnNonlinearity::Relu));
}

}  // namespace
}  // namespace tg::nn
