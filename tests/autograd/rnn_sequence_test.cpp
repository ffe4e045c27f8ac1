// recurrent_sequence (autograd/ops/rnn/recurrent.hpp): float64 gradchecks with uneven lengths in
// both directions, and equality (values and gradients) with the same recurrence composed from the
// per-step cell ops, masked as the layers did before the sequence op existed; the projected LSTM
// with clipping against its composition from basic ops.
#include "support/support.hpp"

#include <autograd/isa.hpp>
#include <autograd/ops/rnn/recurrent.hpp>
#include <autograd/threads.hpp>

namespace tg {
namespace {

constexpr std::size_t L = 5, N = 3, H = 3;
const std::vector<std::size_t> kUneven{5, 2, 4};

enum class Kind { RnnTanh, RnnRelu, Lstm, GruAfter, GruPaper };
constexpr Kind kKinds[] = {Kind::RnnTanh, Kind::RnnRelu, Kind::Lstm, Kind::GruAfter, Kind::GruPaper};

std::size_t gates(Kind k) { return k == Kind::Lstm ? 4 : (k == Kind::GruAfter || k == Kind::GruPaper) ? 3 : 1; }
const char* name(Kind k) {
  const char* names[] = {"rnn tanh", "rnn relu", "lstm", "gru reset_after", "gru paper"};
  return names[static_cast<int>(k)];
}

CellSpec spec(Kind k) {
  switch (k) {
    case Kind::RnnTanh: return {CellSpec::Kind::Rnn};
    case Kind::RnnRelu: return {CellSpec::Kind::Rnn, RnnNonlinearity::Relu};
    case Kind::Lstm: return {CellSpec::Kind::Lstm};
    case Kind::GruAfter: return {CellSpec::Kind::Gru};
    default: return {CellSpec::Kind::Gru, RnnNonlinearity::Tanh, false};
  }
}

/// A direction's results stacked as (L + 2, N, H) (LSTM) or (L + 1, N, H): outputs, h_n, c_n.
Tensor packed(const SequenceOutput& out) {
  std::vector<Tensor> parts{out.output, unsqueeze(out.h_n, 0)};
  if (out.c_n.defined()) parts.push_back(unsqueeze(out.c_n, 0));
  return concat(parts, 0);
}

/// Steps, batch, hidden units and (for the projection inside the op) input width.
struct Sizes {
  std::size_t steps = L, batch = N, hidden = H, input = 4;
};

/// gates_x, h0, [c0], weight_hh, [bias_hh]: the inputs in the op's order.
std::vector<Tensor> inputs(Kind k, bool bias, std::uint64_t seed, Sizes z = {}) {
  const std::size_t n = z.batch, h = z.hidden, g = gates(k) * h;
  std::vector<Tensor> v{test::random_input({z.steps, n, g}, seed), test::random_input({n, h}, seed + 1, 0.8)};
  if (k == Kind::Lstm) v.push_back(test::random_input({n, h}, seed + 2));
  v.push_back(test::random_input({g, h}, seed + 3, 0.5));
  if (bias) v.push_back(test::random_input({g}, seed + 4, 0.5));
  return v;
}

/// The operands of inputs(): gates_x, h0, [c0], weight_hh, [bias_hh].
SequenceOperands operands(Kind k, const std::vector<Tensor>& v) {
  const bool lstm = k == Kind::Lstm;
  const std::size_t w = lstm ? 3 : 2;
  return {.gates_x = v[0], .h0 = v[1], .c0 = lstm ? v[2] : Tensor(),
          .weights = {.weight_hh = v[w], .bias_hh = v.size() > w + 1 ? v[w + 1] : Tensor()}};
}

Tensor fused(Kind k, const std::vector<Tensor>& v, const std::vector<std::size_t>& lengths, bool reverse) {
  return packed(recurrent_sequence(spec(k), operands(k, v), lengths, reverse));
}

/// The same recurrence from one cell op per step, with the layers' old masking: outputs zero and
/// state frozen outside each sequence's valid prefix. Packed as the fused op packs.
Tensor composed(Kind k, const std::vector<Tensor>& v, const std::vector<std::size_t>& lengths, bool reverse) {
  const bool lstm = k == Kind::Lstm;
  const std::size_t w = lstm ? 3 : 2;
  const Tensor bias = v.size() > w + 1 ? v[w + 1] : Tensor();
  Tensor h = v[1], c = lstm ? v[2] : Tensor();
  std::vector<Tensor> rows(L);
  for (std::size_t step = 0; step < L; ++step) {
    const std::size_t t = reverse ? L - 1 - step : step;
    Mask valid = Mask::from_shape({N, 1});
    for (std::size_t b = 0; b < N; ++b) valid(b, 0) = lengths.empty() || lengths[b] > t;
    const Tensor gx = select(v[0], 0, t);
    Tensor next_h, next_c;
    if (lstm) {
      Tensor yc = lstm_cell(gx, h, c, v[w], bias);
      next_h = select(yc, 0, 0), next_c = select(yc, 0, 1);
    } else if (k == Kind::RnnTanh || k == Kind::RnnRelu) {
      next_h = rnn_cell(gx, h, v[w], bias, k == Kind::RnnRelu ? RnnNonlinearity::Relu : RnnNonlinearity::Tanh);
    } else {
      next_h = gru_cell(gx, h, v[w], bias, k == Kind::GruAfter);
    }
    rows[t] = tg::where(valid, next_h, zeros_like(next_h));
    h = tg::where(valid, next_h, h);
    if (lstm) c = tg::where(valid, next_c, c);
  }
  rows.push_back(h);
  if (lstm) rows.push_back(c);
  return stack(rows, 0);
}

std::vector<Tensor> grads_of(const Tensor& out, const Tensor& weights, const std::vector<Tensor>& wrt) {
  Tensor loss = sum(out * weights);
  return grad(std::span<const Tensor>(&loss, 1), wrt);
}

TEST(RecurrentSequence, EqualsStepCompositionInValuesAndGradients) {
  for (Kind k : kKinds)
    for (bool reverse : {false, true})
      for (const auto& lengths : {std::vector<std::size_t>{}, kUneven}) {
        SCOPED_TRACE(testing::Message() << name(k) << " reverse=" << reverse << " lengths=" << lengths.size());
        const std::vector<Tensor> v = inputs(k, true, 100);
        Tensor a = fused(k, v, lengths, reverse), b = composed(k, v, lengths, reverse);
        ASSERT_EQ(a.shape(), b.shape());
        EXPECT_LT(test::max_abs_diff(a, b), 1e-12);
        Tensor weights = test::random_input(a.shape(), 101).detach();
        std::vector<Tensor> ga = grads_of(a, weights, v), gb = grads_of(b, weights, v);
        for (std::size_t i = 0; i < v.size(); ++i) EXPECT_LT(test::max_abs_diff(ga[i], gb[i]), 1e-12) << "input " << i;
      }
}

TEST(RecurrentSequence, GradcheckUnevenLengthsBothDirections) {
  for (Kind k : kKinds)
    for (bool reverse : {false, true})
      EXPECT_TRUE(test::gradcheck_op("recurrent_sequence",
                                     [&](const std::vector<Tensor>& v) { return fused(k, v, kUneven, reverse); },
                                     inputs(k, true, 200)))
          << name(k) << " reverse=" << reverse;
}

TEST(RecurrentSequence, GradcheckWithoutBias) {
  for (Kind k : {Kind::Lstm, Kind::GruPaper})
    EXPECT_TRUE(test::gradcheck_op("recurrent_sequence",
                                   [&](const std::vector<Tensor>& v) { return fused(k, v, {}, false); },
                                   inputs(k, false, 300)))
        << name(k);
}

// Unpadded, the backward reads the states entering each step in place (h0 beside the outputs);
// given lengths, it rebuilds them. Every length full must give the same bits both ways.
TEST(RecurrentSequence, StatesInPlaceEqualStatesRebuilt) {
  const std::vector<std::size_t> full(N, L);
  for (Kind k : kKinds)
    for (bool reverse : {false, true}) {
      SCOPED_TRACE(testing::Message() << name(k) << " reverse=" << reverse);
      const std::vector<Tensor> v = inputs(k, true, 350);
      Tensor in_place = fused(k, v, {}, reverse), rebuilt = fused(k, v, full, reverse);
      EXPECT_TRUE(test::same_bits(in_place, rebuilt));
      Tensor weights = test::random_input(in_place.shape(), 351).detach();
      std::vector<Tensor> ga = grads_of(in_place, weights, v), gb = grads_of(rebuilt, weights, v);
      for (std::size_t i = 0; i < v.size(); ++i) EXPECT_TRUE(test::same_bits(ga[i], gb[i])) << "input " << i;
    }
}

TEST(RecurrentSequence, PaddedPositionsGetNoGradient) {
  const std::vector<Tensor> v = inputs(Kind::Lstm, true, 400);
  Tensor out = fused(Kind::Lstm, v, kUneven, true);
  Tensor g = grads_of(out, test::random_input(out.shape(), 401).detach(), {v[0]})[0];
  const xt::xarray<double>& d = g.data<double>();
  for (std::size_t t = 0; t < L; ++t)
    for (std::size_t b = 0; b < N; ++b)
      for (std::size_t j = 0; j < 4 * H; ++j)
        if (t >= kUneven[b]) {
          EXPECT_EQ(d(t, b, j), 0.0) << t << " " << b;
        }
  // Outputs at padded positions are zero too.
  for (std::size_t t = 0; t < L; ++t)
    for (std::size_t b = 0; b < N; ++b)
      if (t >= kUneven[b]) {
        EXPECT_EQ(xt::amax(xt::abs(xt::view(out.data<double>(), t, b)))(), 0.0);
      }
}

TEST(RecurrentSequence, BadInputNamesTheOp) {
  const std::vector<Tensor> v = inputs(Kind::Lstm, true, 500);
  const SequenceOperands o = operands(Kind::Lstm, v);
  const CellSpec lstm{CellSpec::Kind::Lstm};
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(lstm, o, {5, 0, 2}); },
                                       {"lstm_sequence: lengths[1] = 0 is outside [1, 5]"}));
  EXPECT_THROW(recurrent_sequence(lstm, o, {5, 2}), ValueError);
  SequenceOperands flat = o, no_c0 = o, gru_c0 = o;
  flat.gates_x = select(v[0], 0, 0);
  EXPECT_THROW(recurrent_sequence(lstm, flat), ShapeError);
  no_c0.c0 = Tensor();
  EXPECT_THROW(recurrent_sequence(lstm, no_c0), ValueError);
  EXPECT_THROW(recurrent_sequence(spec(Kind::GruAfter), no_c0), ShapeError);  // 4 gate blocks for a GRU
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(spec(Kind::GruAfter), gru_c0); },
                                       {"gru_sequence", "c0, which only an LSTM has"}));
}

// ---- both directions in one op ------------------------------------------------------------------

Tensor two_directions(Kind k, const SequenceOperands& f, const SequenceOperands& r,
                      const std::vector<std::size_t>& lengths) {
  auto [forward, reverse] = recurrent_sequence(spec(k), f, r, lengths);
  return stack({packed(forward), packed(reverse)}, 0);
}

/// The bidirectional op over v = forward's inputs followed by reverse's (each in the op's order).
Tensor bidirectional(Kind k, const std::vector<Tensor>& v, const std::vector<std::size_t>& lengths) {
  const std::size_t half = v.size() / 2;
  return two_directions(k, operands(k, {v.begin(), v.begin() + half}), operands(k, {v.begin() + half, v.end()}),
                        lengths);
}

std::vector<Tensor> both_directions_inputs(Kind k, bool bias, std::uint64_t seed) {
  std::vector<Tensor> v = inputs(k, bias, seed), r = inputs(k, bias, seed + 50);
  v.insert(v.end(), r.begin(), r.end());
  return v;
}

TEST(RecurrentBidirectional, EqualsTwoSingleDirectionOpsBitForBitOnOneAndTwoThreads) {
  test::ThreadsGuard guard;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (Kind k : kKinds)
      for (const auto& lengths : {std::vector<std::size_t>{}, kUneven}) {
        SCOPED_TRACE(testing::Message() << name(k) << " threads=" << threads << " lengths=" << lengths.size());
        const std::vector<Tensor> v = both_directions_inputs(k, true, 600);
        const std::size_t half = v.size() / 2;
        const std::vector<Tensor> vf(v.begin(), v.begin() + half), vr(v.begin() + half, v.end());
        Tensor both = bidirectional(k, v, lengths);
        Tensor expected = stack({fused(k, vf, lengths, false), fused(k, vr, lengths, true)}, 0);
        ASSERT_EQ(both.shape(), expected.shape());
        EXPECT_EQ(test::max_abs_diff(both, expected), 0.0);
        Tensor weights = test::random_input(both.shape(), 601).detach();
        std::vector<Tensor> ga = grads_of(both, weights, v), gb = grads_of(expected, weights, v);
        for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(test::max_abs_diff(ga[i], gb[i]), 0.0) << "input " << i;
      }
  }
}

TEST(RecurrentBidirectional, GradcheckUnevenLengths) {
  test::ThreadsGuard guard;
  set_num_threads(2);  // the parallel path
  for (Kind k : kKinds)
    EXPECT_TRUE(test::gradcheck_op("recurrent_sequence",
                                   [&](const std::vector<Tensor>& v) { return bidirectional(k, v, kUneven); },
                                   both_directions_inputs(k, true, 700)))
        << name(k);
  EXPECT_TRUE(test::gradcheck_op("recurrent_sequence",
                                 [&](const std::vector<Tensor>& v) { return bidirectional(Kind::Lstm, v, {}); },
                                 both_directions_inputs(Kind::Lstm, false, 800)));
}

TEST(RecurrentBidirectional, MismatchedDirectionsNameTheOp) {
  const std::vector<Tensor> f = inputs(Kind::GruAfter, true, 900), r = inputs(Kind::GruAfter, false, 901);
  EXPECT_TRUE(test::throws<ShapeError>(
      [&] { recurrent_sequence(spec(Kind::GruAfter), operands(Kind::GruAfter, f), operands(Kind::GruAfter, r)); },
      {"gru_bidirectional: the reverse direction's"}));
  EXPECT_THROW(recurrent_sequence(spec(Kind::Lstm), operands(Kind::Lstm, inputs(Kind::Lstm, true, 902)),
                                  operands(Kind::GruAfter, f)),
               ShapeError);  // a GRU's 3 gate blocks given to an LSTM
}

// ---- the input projection inside the op ---------------------------------------------------------

/// x, then per direction weight_ih, bias_ih, h0, [c0], weight_hh, bias_hh.
std::vector<Tensor> projected_inputs(Kind k, std::size_t directions, std::uint64_t seed, Sizes z = {}) {
  std::vector<Tensor> v{test::random_input({z.steps, z.batch, z.input}, seed)};
  for (std::size_t d = 0; d < directions; ++d) {
    const std::uint64_t s = seed + 100 * (d + 1);
    v.push_back(test::random_input({gates(k) * z.hidden, z.input}, s, 0.5));
    v.push_back(test::random_input({gates(k) * z.hidden}, s + 1, 0.5));
    std::vector<Tensor> rest = inputs(k, true, s + 2, z);
    v.insert(v.end(), rest.begin() + 1, rest.end());
  }
  return v;
}

/// Direction d's operands from projected_inputs: with x and W_ih, or (`unfused`) with the gates_x
/// that linear gives.
SequenceOperands projected(Kind k, const std::vector<Tensor>& v, std::size_t d, std::size_t directions, bool unfused) {
  const std::size_t per = (v.size() - 1) / directions;
  const auto first = v.begin() + 1 + static_cast<long>(d * per);
  std::vector<Tensor> rest{Tensor()};
  rest.insert(rest.end(), first + 2, first + static_cast<long>(per));
  SequenceOperands o = operands(k, rest);
  if (unfused) o.gates_x = linear(v[0], first[0], first[1]);
  else o.gates_x = Tensor(), o.x = v[0], o.weights.weight_ih = first[0], o.weights.bias_ih = first[1];
  return o;
}

/// The op with x and W_ih, one or two directions (the second reversed), or with linear's gates_x.
Tensor projected_op(Kind k, const std::vector<Tensor>& v, std::size_t directions,
                    const std::vector<std::size_t>& lengths, bool unfused) {
  if (directions == 1) return packed(recurrent_sequence(spec(k), projected(k, v, 0, 1, unfused), lengths, true));
  return two_directions(k, projected(k, v, 0, 2, unfused), projected(k, v, 1, 2, unfused), lengths);
}

TEST(RecurrentProjection, EqualsLinearThenTheOpBitForBit) {
  test::ThreadsGuard guard;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (Kind k : kKinds)
      for (std::size_t directions : {1, 2})
        for (const auto& lengths : {std::vector<std::size_t>{}, kUneven}) {
          SCOPED_TRACE(testing::Message() << name(k) << " threads=" << threads << " directions=" << directions
                                          << " lengths=" << lengths.size());
          const std::vector<Tensor> v = projected_inputs(k, directions, 1100);
          Tensor fused_out = projected_op(k, v, directions, lengths, false);
          Tensor unfused_out = projected_op(k, v, directions, lengths, true);
          EXPECT_EQ(test::max_abs_diff(fused_out, unfused_out), 0.0);
          Tensor weights = test::random_input(fused_out.shape(), 1101).detach();
          std::vector<Tensor> ga = grads_of(fused_out, weights, v), gb = grads_of(unfused_out, weights, v);
          for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(test::max_abs_diff(ga[i], gb[i]), 0.0) << "input " << i;
        }
  }
}

TEST(RecurrentProjection, GradcheckUnevenLengthsOneAndTwoDirections) {
  for (Kind k : kKinds)
    for (std::size_t directions : {1, 2})
      EXPECT_TRUE(test::gradcheck_op(
          "recurrent_sequence",
          [&](const std::vector<Tensor>& v) { return projected_op(k, v, directions, kUneven, false); },
          projected_inputs(k, directions, 1200)))
          << name(k) << ", " << directions << " direction(s)";
}

TEST(RecurrentProjection, BadOperandsNameTheOp) {
  const std::vector<Tensor> v = projected_inputs(Kind::Lstm, 1, 1300);
  SequenceOperands both = projected(Kind::Lstm, v, 0, 1, false);
  both.gates_x = linear(v[0], v[1], v[2]);
  const CellSpec lstm{CellSpec::Kind::Lstm};
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(lstm, both); }, {"lstm_sequence", "either gates_x or x"}));
  SequenceOperands flat = projected(Kind::Lstm, v, 0, 1, false);
  flat.x = select(v[0], 0, 0);
  EXPECT_TRUE(test::throws<ShapeError>([&] { recurrent_sequence(lstm, flat); },
                                       {"lstm_sequence", "(seq, batch, input_size)"}));
  SequenceOperands no_x = projected(Kind::Lstm, v, 0, 1, true);
  no_x.weights.weight_ih = v[1];
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(lstm, no_x); },
                                       {"lstm_sequence", "weight_ih or bias_ih given without x"}));
}

// ---- the projected LSTM, with ELMo's clipping ---------------------------------------------------

constexpr std::size_t kProj = 2;
const CellSpec kClipped{.kind = CellSpec::Kind::Lstm, .cell_clip = 0.4, .proj_clip = 0.25};

/// x, h0 (N, P), c0 (N, H), weight_ih, bias_ih, weight_hh (4H, P), bias_hh, weight_hr (P, H).
std::vector<Tensor> projected_lstm_inputs(std::uint64_t seed) {
  return {test::random_input({L, N, 4}, seed),          test::random_input({N, kProj}, seed + 1, 0.8),
          test::random_input({N, H}, seed + 2),         test::random_input({4 * H, 4}, seed + 3, 0.5),
          test::random_input({4 * H}, seed + 4, 0.5),   test::random_input({4 * H, kProj}, seed + 5, 0.5),
          test::random_input({4 * H}, seed + 6, 0.5),   test::random_input({kProj, H}, seed + 7, 0.8)};
}

SequenceOperands projected_lstm(const std::vector<Tensor>& v) {
  return {.x = v[0], .h0 = v[1], .c0 = v[2],
          .weights = {.weight_ih = v[3], .weight_hh = v[5], .bias_ih = v[4], .bias_hh = v[6], .weight_hr = v[7]}};
}

/// Results of different widths (h is P wide, c is H), flattened into one vector.
Tensor flat(const SequenceOutput& out) {
  return concat({reshape(out.output, {-1}), reshape(out.h_n, {-1}), reshape(out.c_n, {-1})}, 0);
}

/// AllenNLP's LstmCellWithProjection step by step from basic ops, masked as composed() masks.
Tensor composed_projected_lstm(const CellSpec& spec, const std::vector<Tensor>& v,
                               const std::vector<std::size_t>& lengths, bool reverse) {
  const Tensor gates_x = linear(v[0], v[3], v[4]);
  Tensor h = v[1], c = v[2];
  std::vector<Tensor> outputs(L);
  for (std::size_t step = 0; step < L; ++step) {
    const std::size_t t = reverse ? L - 1 - step : step;
    Mask valid = Mask::from_shape({N, 1});
    for (std::size_t b = 0; b < N; ++b) valid(b, 0) = lengths.empty() || lengths[b] > t;
    const Tensor a = select(gates_x, 0, t) + linear(h, v[5], v[6]);
    const Tensor i = sigmoid(narrow(a, 1, 0, H)), f = sigmoid(narrow(a, 1, H, H)), g = tanh(narrow(a, 1, 2 * H, H)),
                 o = sigmoid(narrow(a, 1, 3 * H, H));
    Tensor c_new = f * c + i * g;
    if (spec.cell_clip > 0) c_new = clamp(c_new, -spec.cell_clip, spec.cell_clip);
    Tensor h_new = linear(o * tanh(c_new), v[7]);
    if (spec.proj_clip > 0) h_new = clamp(h_new, -spec.proj_clip, spec.proj_clip);
    outputs[t] = tg::where(valid, h_new, zeros_like(h_new));
    h = tg::where(valid, h_new, h);
    c = tg::where(valid, c_new, c);
  }
  return concat({reshape(stack(outputs, 0), {-1}), reshape(h, {-1}), reshape(c, {-1})}, 0);
}

TEST(ProjectedLstm, EqualsBasicOpsInValuesAndGradients) {
  for (const CellSpec& spec : {CellSpec{CellSpec::Kind::Lstm}, kClipped})
    for (bool reverse : {false, true})
      for (const auto& lengths : {std::vector<std::size_t>{}, kUneven}) {
        SCOPED_TRACE(testing::Message() << "clip=" << spec.cell_clip << " reverse=" << reverse
                                        << " lengths=" << lengths.size());
        const std::vector<Tensor> v = projected_lstm_inputs(1500);
        Tensor a = flat(recurrent_sequence(spec, projected_lstm(v), lengths, reverse));
        Tensor b = composed_projected_lstm(spec, v, lengths, reverse);
        ASSERT_EQ(a.shape(), b.shape());
        EXPECT_LT(test::max_abs_diff(a, b), 1e-12);
        Tensor weights = test::random_input(a.shape(), 1501).detach();
        std::vector<Tensor> ga = grads_of(a, weights, v), gb = grads_of(b, weights, v);
        for (std::size_t i = 0; i < v.size(); ++i) EXPECT_LT(test::max_abs_diff(ga[i], gb[i]), 1e-12) << "input " << i;
      }
  // The control: these inputs do reach both clips, so the clipped run differs from the plain one.
  const std::vector<Tensor> v = projected_lstm_inputs(1500);
  EXPECT_GT(test::max_abs_diff(flat(recurrent_sequence(kClipped, projected_lstm(v))),
                               flat(recurrent_sequence({CellSpec::Kind::Lstm}, projected_lstm(v)))),
            1e-3);
  CellSpec only_proj = kClipped;
  only_proj.cell_clip = 0;
  EXPECT_GT(test::max_abs_diff(flat(recurrent_sequence(only_proj, projected_lstm(v))),
                               flat(recurrent_sequence({CellSpec::Kind::Lstm}, projected_lstm(v)))),
            1e-3);
}

TEST(ProjectedLstm, GradcheckClippedUnevenLengthsOneAndTwoDirections) {
  EXPECT_TRUE(test::gradcheck_op("recurrent_sequence", [&](const std::vector<Tensor>& v) {
    return flat(recurrent_sequence(kClipped, projected_lstm(v), kUneven, true));
  }, projected_lstm_inputs(1600)));
  std::vector<Tensor> both = projected_lstm_inputs(1700), reverse = projected_lstm_inputs(1800);
  both.insert(both.end(), reverse.begin(), reverse.end());
  EXPECT_TRUE(test::gradcheck_op("recurrent_sequence", [&](const std::vector<Tensor>& v) {
    auto [f, r] = recurrent_sequence(kClipped, projected_lstm({v.begin(), v.begin() + 8}),
                                     projected_lstm({v.begin() + 8, v.end()}), kUneven);
    return concat({flat(f), flat(r)}, 0);
  }, both));
}

TEST(ProjectedLstm, BadOperandsNameTheOp) {
  const std::vector<Tensor> v = projected_lstm_inputs(1900);
  SequenceOperands wrong_hr = projected_lstm(v), no_hr = projected_lstm(v);
  wrong_hr.weights.weight_hr = test::random_input({H, kProj}, 1);
  EXPECT_TRUE(test::throws<ShapeError>([&] { recurrent_sequence(kClipped, wrong_hr); },
                                       {"lstm_sequence", "weight_hr [3, 2]", "(proj_size, hidden_size)"}));
  no_hr.weights.weight_hr = Tensor();
  EXPECT_TRUE(test::throws<ShapeError>([&] { recurrent_sequence({CellSpec::Kind::Lstm}, no_hr); },
                                       {"lstm_sequence", "give weight_hr"}));
  const SequenceOperands plain = operands(Kind::Lstm, inputs(Kind::Lstm, true, 1901));
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(kClipped, plain); },
                                       {"lstm_sequence", "proj_clip", "no weight_hr"}));
  const CellSpec negative{.kind = CellSpec::Kind::Lstm, .cell_clip = -1};
  EXPECT_TRUE(test::throws<ValueError>([&] { recurrent_sequence(negative, plain); },
                                       {"lstm_sequence", "cell_clip = -1"}));
  const CellSpec gru_clip{.kind = CellSpec::Kind::Gru, .cell_clip = 1};
  EXPECT_TRUE(test::throws<ValueError>(
      [&] { recurrent_sequence(gru_clip, operands(Kind::GruAfter, inputs(Kind::GruAfter, true, 1902))); },
      {"gru_sequence", "cell_clip is for an LSTM only"}));
}

// ---- the same bits on any thread count ----------------------------------------------------------

// Issue #12's shapes: 35 steps of 32 rows, 64 hidden units, float32, x projected inside the op. The
// time loop runs as row ranges and the projection's products as blocks; both must be cut the same
// way on 1 thread as on 2 and 4, or the per-step products sum in another order.
// On every kernel: the AVX-512 GEMM (one thread runs the batch as one row range) and the baseline's
// OpenBLAS (the row ranges are the shape's, on any thread count).
TEST(RecurrentSequence, SameBitsOnOneTwoAndFourThreads) {
  test::ThreadsGuard guard;
  const std::string isa_before = simd_isa();
  const Sizes z{.steps = 35, .batch = 32, .hidden = 64, .input = 32};
  std::vector<std::size_t> lengths(z.batch, z.steps);
  lengths[5] = 1, lengths[20] = 17;
  for (const std::string& isa : {isa_before, std::string("sse2")}) {
    set_simd_isa(isa);
    for (Kind k : kKinds)
      for (std::size_t directions : {1, 2}) {
        SCOPED_TRACE(testing::Message() << name(k) << " directions=" << directions << " isa=" << isa);
        std::vector<Tensor> v = projected_inputs(k, directions, 1400, z);
        for (Tensor& t : v) t = t.detach().to(kFloat32).requires_grad_();
        std::vector<Tensor> first;
        for (int threads : {1, 2, 4}) {
          set_num_threads(threads);
          Tensor out = projected_op(k, v, directions, lengths, false);
          std::vector<Tensor> all = grads_of(out, test::random_input(out.shape(), 1401).detach().to(kFloat32), v);
          all.push_back(out);
          if (first.empty()) first = all;
          for (std::size_t i = 0; i < all.size(); ++i)
            EXPECT_TRUE(test::same_bits(all[i], first[i])) << "threads=" << threads << " result " << i;
        }
      }
  }
  set_simd_isa(isa_before);
}

}  // namespace
}  // namespace tg
