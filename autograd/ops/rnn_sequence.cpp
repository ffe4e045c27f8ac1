// Whole-sequence recurrent ops (see autograd/rnn_ops.hpp): the time loop of the layers moved inside
// one op, with the per-step gate math of the cells (rnn_kernels.hpp). What makes them faster than L
// cell nodes: buffers allocated once per sequence, no per-step nodes, and the weight gradient as one
// product over all L*N rows of the stacked gate gradients.
#include "autograd/ops/common.hpp"
#include "autograd/ops/rnn_kernels.hpp"
#include "autograd/rnn_ops.hpp"

namespace tg {

namespace {

using namespace detail::rnn;

struct SequenceSpec {
  enum class Kind { Rnn, Lstm, Gru };
  Kind kind;
  bool relu = false;         // Rnn
  bool reset_after = true;   // Gru
};

void check_lengths(const char* op, const std::vector<std::size_t>& lengths, std::size_t steps, std::size_t batch) {
  if (lengths.empty()) return;
  if (lengths.size() != batch) fail<ValueError>("{}: {} lengths for a batch of {}", op, lengths.size(), batch);
  for (std::size_t b = 0; b < batch; ++b)
    if (lengths[b] < 1 || lengths[b] > steps)
      fail<ValueError>("{}: lengths[{}] = {} is outside [1, {}]", op, b, lengths[b], steps);
}

/// valid[b] = sequence b is inside its valid prefix at time t; returns how many are.
std::size_t valid_rows(const std::vector<std::size_t>& lengths, std::size_t t, std::size_t batch,
                       std::vector<char>& valid) {
  valid.assign(batch, 1);
  if (lengths.empty()) return batch;
  std::size_t count = 0;
  for (std::size_t b = 0; b < batch; ++b) count += (valid[b] = lengths[b] > t);
  return count;
}

/// Rows of `to` (row width w) take the rows of `from` where `valid` (all rows when every row is).
template <class T>
void copy_valid_rows(const T* from, T* to, std::size_t w, const std::vector<char>& valid, std::size_t n_valid) {
  if (n_valid == valid.size()) {
    std::copy(from, from + valid.size() * w, to);
    return;
  }
  for (std::size_t b = 0; b < valid.size(); ++b)
    if (valid[b]) std::copy(from + b * w, from + (b + 1) * w, to + b * w);
}

/// Zeroes the rows of `x` (row width w) outside `valid`.
template <class T>
void zero_invalid_rows(T* x, std::size_t w, const std::vector<char>& valid) {
  for (std::size_t b = 0; b < valid.size(); ++b)
    if (!valid[b]) std::fill(x + b * w, x + (b + 1) * w, T(0));
}

// Forward, per step t (in processing order): a = gx_t + h W^T + b; gates and state as in the cells;
// y_t = h' on valid rows, 0 elsewhere; the state moves to (h', c') on valid rows only.
// Backward, in reverse: dy = dout_t + dh on valid rows (0 elsewhere); the cell kernels give dA_t and
// dh_prev = dA_t W (+ the GRU's direct terms), dc_prev; frozen rows pass dh, dc through unchanged.
// Then dW = dA^T H_prev and db = sum dA over all L*N rows at once; d gates_x = dA.
template <class T>
Tensor run_sequence(const char* op, SequenceSpec spec, const CellShape& s, const Tensor& gates_x, const Tensor& h0,
                    const Tensor& c0, const Tensor& weight_hh, const Tensor& bias_hh,
                    const std::vector<std::size_t>& lengths, bool reverse) {
  using Kind = SequenceSpec::Kind;
  const bool lstm = spec.kind == Kind::Lstm;
  const std::size_t L = gates_x.shape()[0], N = s.n, H = s.h, G = gates_x.shape()[2], NH = N * H;
  const std::size_t A = spec.kind == Kind::Rnn ? 0 : 4 * H;  // activations kept per row (an RNN reads its output)
  const T* gx = gates_x.data<T>().data();
  const T* w = weight_hh.data<T>().data();
  const T* b = bias_data<T>(bias_hh);

  xt::xarray<T> out = xt::xarray<T>::from_shape({L + (lstm ? 2 : 1), N, H});
  xt::xarray<T> h_prev = xt::xarray<T>::from_shape({L, N, H});  // the state entering each time step
  xt::xarray<T> c_prev = xt::xarray<T>::from_shape({lstm ? L : 0, N, H});
  xt::xarray<T> c_new = xt::xarray<T>::from_shape({lstm ? L : 0, N, H});  // c' before freezing
  xt::xarray<T> acts = xt::xarray<T>::from_shape({L, N, A});
  T* h = out.data() + L * NH;  // the running state lives in the h_n (and c_n) rows of the output
  T* c = lstm ? h + NH : nullptr;
  std::copy(h0.data<T>().data(), h0.data<T>().data() + NH, h);
  if (lstm) std::copy(c0.data<T>().data(), c0.data<T>().data() + NH, c);
  std::vector<char> valid;
  for (std::size_t k = 0; k < L; ++k) {
    const std::size_t t = reverse ? L - 1 - k : k;
    T* y = out.data() + t * NH;
    T* hp = h_prev.data() + t * NH;
    T* a = acts.data() + t * N * A;
    const T* x = gx + t * N * G;
    std::copy(h, h + NH, hp);
    if (lstm) std::copy(c, c + NH, c_prev.data() + t * NH);
    const std::size_t n_valid = valid_rows(lengths, t, N, valid);
    if (n_valid == 0) {  // every sequence has ended (or, reversed, not begun): nothing to compute
      std::fill(y, y + NH, T(0));
      continue;
    }
    switch (spec.kind) {
      case Kind::Rnn:
        recurrent_product<T>(N, H, hp, H, w, b, 0, H, y, H);
        rnn_forward<T>(NH, x, y, spec.relu);
        break;
      case Kind::Lstm:
        recurrent_product<T>(N, H, hp, H, w, b, 0, G, a, G);
        lstm_forward<T>(N, H, x, a, c_prev.data() + t * NH, y, c_new.data() + t * NH);
        copy_valid_rows<T>(c_new.data() + t * NH, c, H, valid, n_valid);
        break;
      case Kind::Gru:
        gru_forward<T>(N, H, hp, w, b, x, a, y, spec.reset_after);
        break;
    }
    copy_valid_rows<T>(y, h, H, valid, n_valid);
    zero_invalid_rows<T>(y, H, valid);
  }

  auto backward = [=, h_prev = std::move(h_prev), c_prev = std::move(c_prev), c_new = std::move(c_new),
                   acts = std::move(acts)](BackwardContext<T>& ctx) {
    const std::size_t w_index = lstm ? 3 : 2;
    const bool gru_after = spec.kind == Kind::Gru && spec.reset_after;
    const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
    const T* g = ctx.grad().data();
    const T* w = ctx.input(w_index).data();
    xt::xarray<T> d_x = xt::xarray<T>::from_shape({L, N, G});
    xt::xarray<T> d_gh = xt::xarray<T>::from_shape({gru_after ? L : 0, N, G});  // d (h W^T + b) when it differs
    xt::xarray<T> dh = xt::xarray<T>::from_shape({N, H}), dc = xt::xarray<T>::from_shape({lstm ? N : 0, H});
    std::copy(g + L * NH, g + (L + 1) * NH, dh.data());
    if (lstm) std::copy(g + (L + 1) * NH, g + (L + 2) * NH, dc.data());
    std::vector<T> dy(NH), dc_in(lstm ? NH : 0), dh_new(NH), dc_new(lstm ? NH : 0), d_rh(gru_paper ? NH : 0);
    std::vector<char> valid;
    for (std::size_t k = L; k-- > 0;) {
      const std::size_t t = reverse ? L - 1 - k : k;
      T* dx = d_x.data() + t * N * G;
      T* dg = gru_after ? d_gh.data() + t * N * G : nullptr;
      const std::size_t n_valid = valid_rows(lengths, t, N, valid);
      if (n_valid == 0) {
        std::fill(dx, dx + N * G, T(0));
        if (dg) std::fill(dg, dg + N * G, T(0));
        continue;
      }
      for (std::size_t r = 0; r < N; ++r)
        for (std::size_t j = 0, q = r * H; j < H; ++j, ++q) {
          dy[q] = valid[r] ? g[t * NH + q] + dh.data()[q] : T(0);
          if (lstm) dc_in[q] = valid[r] ? dc.data()[q] : T(0);
        }
      const T* hp = h_prev.data() + t * NH;
      const T* a = acts.data() + t * N * A;
      switch (spec.kind) {
        case Kind::Rnn:
          rnn_backward<T>(NH, ctx.output().data() + t * NH, dy.data(), dx, spec.relu);
          break;
        case Kind::Lstm:
          lstm_backward<T>(N, H, a, c_prev.data() + t * NH, c_new.data() + t * NH, dy.data(), dc_in.data(), dx,
                           dc_new.data());
          break;
        case Kind::Gru:
          gru_gate_grads<T>(N, H, hp, w, a, dy.data(), dx, dg, d_rh.data(), spec.reset_after);
          break;
      }
      if (n_valid < N) {  // padded positions get exactly zero gradient, whatever their activations
        zero_invalid_rows<T>(dx, G, valid);
        if (dg) zero_invalid_rows<T>(dg, G, valid);
      }
      if (spec.kind == Kind::Gru)
        gru_state_grad<T>(N, H, w, a, dy.data(), dx, dg, d_rh.data(), dh_new.data(), true, spec.reset_after);
      else
        recurrent_input_grad<T>(N, dx, G, w, H, 0, G, dh_new.data(), true);
      copy_valid_rows<T>(dh_new.data(), dh.data(), H, valid, n_valid);
      if (lstm) copy_valid_rows<T>(dc_new.data(), dc.data(), H, valid, n_valid);
    }
    const T* h_all = h_prev.data();
    if (gru_paper)
      accumulate_weight_grads<T>(ctx, w_index, L * N, d_x.data(), G, H,
                                 {{0, 2 * H, h_all, H}, {2 * H, H, acts.data() + 3 * H, 4 * H}});
    else
      accumulate_weight_grads<T>(ctx, w_index, L * N, gru_after ? d_gh.data() : d_x.data(), G, H,
                                 {{0, G, h_all, H}});
    ctx.accumulate(1, std::move(dh));
    if (lstm) ctx.accumulate(2, std::move(dc));
    ctx.accumulate(0, std::move(d_x));
  };
  std::vector<Tensor> inputs{gates_x, h0};
  if (lstm) inputs.push_back(c0);
  inputs.push_back(weight_hh);
  if (bias_hh.defined()) inputs.push_back(bias_hh);  // the optional bias_hh, when given, is the last input
  return record<T>(op, std::move(out), inputs, std::move(backward));
}

Tensor sequence(const char* op, SequenceSpec spec, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                const Tensor& weight_hh, const Tensor& bias_hh, const std::vector<std::size_t>& lengths, bool reverse) {
  const bool lstm = spec.kind == SequenceSpec::Kind::Lstm;
  const std::size_t gates = lstm ? 4 : spec.kind == SequenceSpec::Kind::Gru ? 3 : 1;
  const CellShape s = check_operands(op, gates, true, gates_x, h0, weight_hh, bias_hh);
  if (s.p != s.h)
    fail<ShapeError>("{}: weight_hh {} must be ({} * hidden_size, hidden_size){}", op, shape_str(weight_hh.shape()),
                     gates, lstm ? "; a projected LSTM steps with lstm_cell" : "");
  if (lstm) {
    detail::check_defined(op, c0);
    detail::check_same_dtype(op, {h0, c0});
    if (c0.shape() != h0.shape())
      fail<ShapeError>("{}: c0 {} does not match h0 {}", op, shape_str(c0.shape()), shape_str(h0.shape()));
  }
  check_lengths(op, lengths, gates_x.shape()[0], s.n);
  return visit_dtype(h0.dtype(), [&]<class T>() {
    return run_sequence<T>(op, spec, s, gates_x, h0, c0, weight_hh, bias_hh, lengths, reverse);
  });
}

}  // namespace

Tensor rnn_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    RnnNonlinearity nonlinearity, const std::vector<std::size_t>& lengths, bool reverse) {
  return sequence("rnn_sequence", {SequenceSpec::Kind::Rnn, nonlinearity == RnnNonlinearity::Relu}, gates_x, h0,
                  Tensor(), weight_hh, bias_hh, lengths, reverse);
}

Tensor lstm_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& weight_hh,
                     const Tensor& bias_hh, const std::vector<std::size_t>& lengths, bool reverse) {
  return sequence("lstm_sequence", {SequenceSpec::Kind::Lstm}, gates_x, h0, c0, weight_hh, bias_hh, lengths,
                  reverse);
}

Tensor gru_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    bool reset_after, const std::vector<std::size_t>& lengths, bool reverse) {
  return sequence("gru_sequence", {SequenceSpec::Kind::Gru, false, reset_after}, gates_x, h0, Tensor(), weight_hh,
                  bias_hh, lengths, reverse);
}

}  // namespace tg
