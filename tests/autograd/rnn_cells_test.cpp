// The fused recurrent steps of autograd/ops/rnn/recurrent.hpp: float64 gradchecks, and equality (values and
// gradients) with the same step composed from basic ops.
#include "support/support.hpp"

#include <autograd/ops/rnn/recurrent.hpp>
#include <autograd/threads.hpp>

namespace tg {
namespace {

constexpr std::size_t N = 3, H = 4, IN_P = 3;  // batch, hidden, projection width

/// (G*H, H) constant that picks gate block k of a (N, G*H) row: a @ pick(k) == a[:, k*H:(k+1)*H].
/// The composed twins split gates with it, so they need nothing but matmul.
Tensor pick(std::size_t gates, std::size_t k) {
  xt::xarray<double> e = xt::zeros<double>({gates * H, H});
  for (std::size_t j = 0; j < H; ++j) e(k * H + j, j) = 1;
  return from_array(std::move(e));
}

Tensor gate(const Tensor& a, std::size_t gates, std::size_t k) { return matmul(a, pick(gates, k)); }

/// Gradients of sum(out * weights) with respect to `wrt`.
std::vector<Tensor> grads_of(const Tensor& out, const Tensor& weights, const std::vector<Tensor>& wrt) {
  Tensor loss = sum(out * weights);
  return grad(std::span<const Tensor>(&loss, 1), wrt);
}

void expect_same(const std::vector<Tensor>& a, const std::vector<Tensor>& b, double tol = 1e-12) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LT(test::max_abs_diff(a[i], b[i]), tol) << "gradient " << i;
}

// ---- composed twins ---------------------------------------------------------------------------

Tensor rnn_composed(const Tensor& gx, const Tensor& h, const Tensor& w, const Tensor& b, bool relu_act) {
  Tensor a = gx + linear(h, w, b);
  return relu_act ? relu(a) : tanh(a);
}

/// Returns y and c' stacked as the fused op does, via matmul with constant selectors ((N,H) -> rows).
std::pair<Tensor, Tensor> lstm_composed(const Tensor& gx, const Tensor& h, const Tensor& c, const Tensor& w,
                                        const Tensor& b) {
  Tensor a = gx + linear(h, w, b);
  Tensor i = sigmoid(gate(a, 4, 0)), f = sigmoid(gate(a, 4, 1)), g = tanh(gate(a, 4, 2)), o = sigmoid(gate(a, 4, 3));
  Tensor c1 = f * c + i * g;
  return {o * tanh(c1), c1};
}

Tensor gru_composed(const Tensor& gx, const Tensor& h, const Tensor& w, const Tensor& b, bool reset_after) {
  Tensor gh = linear(h, w, b);
  Tensor r = sigmoid(gate(gx, 3, 0) + gate(gh, 3, 0)), z = sigmoid(gate(gx, 3, 1) + gate(gh, 3, 1));
  // Paper form: the n block of linear(r * h, W, b) is (r * h) W_n^T + b_n.
  Tensor hn = reset_after ? r * gate(gh, 3, 2) : gate(linear(r * h, w, b), 3, 2);
  Tensor n = tanh(gate(gx, 3, 2) + hn);
  return (1.0 - z) * n + z * h;
}

// ---- fixtures -------------------------------------------------------------------------------

struct CellInputs {
  Tensor gx, h, c, w, b;
  std::vector<Tensor> all() const {
    std::vector<Tensor> v{gx, h, w};
    if (c.defined()) v.insert(v.begin() + 2, c);
    if (b.defined()) v.push_back(b);
    return v;
  }
};

/// Inputs of a step with `gates` gate blocks and a recurrent input of width p (H, or a projection).
CellInputs inputs(std::size_t gates, std::size_t p, bool with_c, bool with_bias, std::uint64_t seed) {
  CellInputs in;
  in.gx = test::random_input({N, gates * H}, seed);
  in.h = test::random_input({N, p}, seed + 1, 0.8);
  if (with_c) in.c = test::random_input({N, H}, seed + 2);
  in.w = test::random_input({gates * H, p}, seed + 3, 0.5);
  if (with_bias) in.b = test::random_input({gates * H}, seed + 4, 0.5);
  return in;
}

// ---- RNN ------------------------------------------------------------------------------------

TEST(RnnCell, GradcheckTanhAndRelu) {
  for (bool bias : {true, false}) {
    CellInputs in = inputs(1, H, false, bias, 10);
    for (auto act : {RnnNonlinearity::Tanh, RnnNonlinearity::Relu})
      EXPECT_TRUE(test::gradcheck_op("rnn_cell", [&](const std::vector<Tensor>& v) {
        return rnn_cell(v[0], v[1], v[2], bias ? v[3] : Tensor(), act);
      }, in.all()));
  }
}

TEST(RnnCell, EqualsComposition) {
  CellInputs in = inputs(1, H, false, true, 20);
  for (bool relu_act : {false, true}) {
    Tensor fused = rnn_cell(in.gx, in.h, in.w, in.b, relu_act ? RnnNonlinearity::Relu : RnnNonlinearity::Tanh);
    Tensor composed = rnn_composed(in.gx, in.h, in.w, in.b, relu_act);
    EXPECT_LT(test::max_abs_diff(fused, composed), 1e-12);
    Tensor weights = test::random_input({N, H}, 21).detach();
    expect_same(grads_of(fused, weights, in.all()), grads_of(composed, weights, in.all()));
  }
}

// ---- LSTM -----------------------------------------------------------------------------------

TEST(LstmCell, Gradcheck) {
  for (std::size_t p : {H, IN_P})  // without and with a projected recurrent input
    for (bool bias : {true, false}) {
      CellInputs in = inputs(4, p, true, bias, 30);
      EXPECT_TRUE(test::gradcheck_op("lstm_cell", [&](const std::vector<Tensor>& v) {
        return lstm_cell(v[0], v[1], v[2], v[3], bias ? v[4] : Tensor());
      }, in.all())) << "p=" << p << " bias=" << bias;
    }
}

TEST(LstmCell, EqualsComposition) {
  for (std::size_t p : {H, IN_P}) {
    CellInputs in = inputs(4, p, true, true, 40);
    Tensor fused = lstm_cell(in.gx, in.h, in.c, in.w, in.b);
    ASSERT_EQ(fused.shape(), (Shape{2, N, H}));
    auto [y, c1] = lstm_composed(in.gx, in.h, in.c, in.w, in.b);
    xt::xarray<double> f = fused.data<double>();
    EXPECT_LT(xt::amax(xt::abs(xt::view(f, 0) - y.data<double>()))(), 1e-12);
    EXPECT_LT(xt::amax(xt::abs(xt::view(f, 1) - c1.data<double>()))(), 1e-12);

    Tensor wy = test::random_input({N, H}, 41).detach(), wc = test::random_input({N, H}, 42).detach();
    xt::xarray<double> stacked = xt::zeros<double>({std::size_t(2), N, H});
    xt::view(stacked, 0) = wy.data<double>();
    xt::view(stacked, 1) = wc.data<double>();
    Tensor composed_loss = sum(y * wy) + sum(c1 * wc);
    auto composed = grad(std::span<const Tensor>(&composed_loss, 1), in.all());
    expect_same(grads_of(fused, from_array(stacked), in.all()), composed);
  }
}

// ---- GRU ------------------------------------------------------------------------------------

TEST(GruCell, GradcheckBothForms) {
  for (bool reset_after : {true, false})
    for (bool bias : {true, false}) {
      CellInputs in = inputs(3, H, false, bias, 50);
      EXPECT_TRUE(test::gradcheck_op("gru_cell", [&](const std::vector<Tensor>& v) {
        return gru_cell(v[0], v[1], v[2], bias ? v[3] : Tensor(), reset_after);
      }, in.all())) << "reset_after=" << reset_after << " bias=" << bias;
    }
}

TEST(GruCell, EqualsCompositionBothForms) {
  CellInputs in = inputs(3, H, false, true, 60);
  Tensor weights = test::random_input({N, H}, 61).detach();
  for (bool reset_after : {true, false}) {
    Tensor fused = gru_cell(in.gx, in.h, in.w, in.b, reset_after);
    Tensor composed = gru_composed(in.gx, in.h, in.w, in.b, reset_after);
    EXPECT_LT(test::max_abs_diff(fused, composed), 1e-12);
    expect_same(grads_of(fused, weights, in.all()), grads_of(composed, weights, in.all()));
  }
  // The two forms are different functions.
  EXPECT_GT(test::max_abs_diff(gru_cell(in.gx, in.h, in.w, in.b, true), gru_cell(in.gx, in.h, in.w, in.b, false)),
            1e-6);
}

TEST(RecurrentCells, Float32MatchesFloat64) {
  CellInputs in = inputs(4, H, true, true, 70);
  auto f32 = [](const Tensor& t) { return t.detach().to(kFloat32); };
  Tensor a = lstm_cell(in.gx, in.h, in.c, in.w, in.b);
  Tensor b = lstm_cell(f32(in.gx), f32(in.h), f32(in.c), f32(in.w), f32(in.b));
  EXPECT_EQ(b.dtype(), kFloat32);
  EXPECT_LT(test::max_abs_diff(a, b), 1e-5);
}

TEST(RecurrentCells, BadShapesNameTheOpAndShapes) {
  CellInputs in = inputs(4, H, true, true, 80);
  try {
    lstm_cell(test::random_input({N, 3 * H}), in.h, in.c, in.w, in.b);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("lstm_cell: gates_x [3, 12] does not fit weight_hh [16, 4]"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(lstm_cell(in.gx, in.h, test::random_input({N, H + 1}), in.w, in.b), ShapeError);
  EXPECT_THROW(gru_cell(test::random_input({N, 3 * H}), in.h, test::random_input({3 * H, H + 1}), Tensor()),
               ShapeError);
  EXPECT_THROW(rnn_cell(test::random_input({N, H}), test::random_input({N + 1, H}), test::random_input({H, H}),
                        Tensor()), ShapeError);
  EXPECT_THROW(rnn_cell(test::random_input({N, H}), in.h.detach().to(kFloat32), test::random_input({H, H}), Tensor()),
               DtypeError);
}

}  // namespace
}  // namespace tg

namespace tg {
namespace {

// With two threads a batch of 16 rows runs as two ranges of 8 on two cores; nothing may change.
TEST(RecurrentCell, SplittingTheBatchOverTwoThreadsGivesTheSameBits) {
  test::ThreadsGuard guard;
  constexpr std::size_t rows = 16, hidden = 5;
  for (int kind = 0; kind < 4; ++kind) {
    SCOPED_TRACE(kind);
    const std::size_t gates = kind == 1 ? 4 : kind >= 2 ? 3 : 1;
    const std::vector<Tensor> v{test::random_input({rows, gates * hidden}, 10), test::random_input({rows, hidden}, 11),
                                test::random_input({rows, hidden}, 12), test::random_input({gates * hidden, hidden}, 13, 0.5),
                                test::random_input({gates * hidden}, 14, 0.5)};
    auto run = [&] {
      switch (kind) {
        case 0: return rnn_cell(v[0], v[1], v[3], v[4]);
        case 1: return lstm_cell(v[0], v[1], v[2], v[3], v[4]);
        default: return gru_cell(v[0], v[1], v[3], v[4], kind == 2);
      }
    };
    const std::vector<Tensor> used = kind == 1 ? v : std::vector<Tensor>{v[0], v[1], v[3], v[4]};  // c: LSTM only
    std::vector<Tensor> outs;
    std::vector<std::vector<Tensor>> grads;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      outs.push_back(run());
      grads.push_back(grads_of(outs.back(), test::random_input(outs.back().shape(), 15).detach(), used));
    }
    EXPECT_EQ(test::max_abs_diff(outs[0], outs[1]), 0.0);
    for (std::size_t i = 0; i < used.size(); ++i)
      EXPECT_EQ(test::max_abs_diff(grads[0][i], grads[1][i]), 0.0) << "gradient " << i;
  }
}

// ---- one step of any kind ----------------------------------------------------------------------

// recurrent_step is the cell of its kind, then an LSTM's projection and proj_clip.
TEST(RecurrentStep, GradcheckEveryKindAndTheClippedProjection) {
  const std::vector<CellSpec> specs{{CellSpec::Kind::Rnn}, {CellSpec::Kind::Gru},
                                    {.kind = CellSpec::Kind::Lstm, .proj_clip = 0.2}};
  for (const CellSpec& spec : specs) {
    const bool lstm = spec.kind == CellSpec::Kind::Lstm;
    const std::size_t g = spec.gates() * H, p = lstm ? IN_P : H;
    std::vector<Tensor> in{test::random_input({N, g}, 60), test::random_input({N, p}, 61, 0.8),
                           test::random_input({g, p}, 62, 0.5), test::random_input({g}, 63, 0.5)};
    if (lstm) in.insert(in.end(), {test::random_input({N, H}, 64), test::random_input({p, H}, 65, 0.8)});
    EXPECT_TRUE(test::gradcheck_op("recurrent_step", [&](const std::vector<Tensor>& v) {
      const CellWeights w{.weight_hh = v[2], .bias_hh = v[3], .weight_hr = lstm ? v[5] : Tensor()};
      const RecurrentState s = recurrent_step(spec, w, v[0], {v[1], lstm ? v[4] : Tensor()});
      return lstm ? concat({reshape(s.h, {-1}), reshape(s.c, {-1})}, 0) : s.h;
    }, in)) << spec.name();
  }
  EXPECT_TRUE(test::throws<ValueError>([] { recurrent_step({.kind = CellSpec::Kind::Lstm, .cell_clip = 1}, {}, {}, {}); },
                                       {"recurrent_step", "cell_clip", "recurrent_sequence"}));
}

}  // namespace
}  // namespace tg
