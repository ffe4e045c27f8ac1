// Whole-sequence recurrent ops (see autograd/rnn_ops.hpp): the time loop of the layers moved inside
// one op, with the per-step gate math of the cells (rnn_kernels.hpp). What makes them faster than L
// cell nodes: buffers allocated once per sequence, no per-step nodes, and the weight gradient as one
// product over all L*N rows of the stacked gate gradients.
#include "autograd/ops/common.hpp"
#include "autograd/ops/rnn_kernels.hpp"
#include "autograd/rnn_ops.hpp"
#include "autograd/threads.hpp"

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

/// valid[i] = sequence begin + i is inside its valid prefix at time t; returns how many are.
std::size_t valid_rows(const std::vector<std::size_t>& lengths, std::size_t t, Rows rows, std::vector<char>& valid) {
  valid.assign(rows.count(), 1);
  if (lengths.empty()) return rows.count();
  std::size_t count = 0;
  for (std::size_t i = 0; i < rows.count(); ++i) count += (valid[i] = lengths[rows.begin + i] > t);
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

/// One direction of a sequence op: where its operands live, and what its forward keeps for backward.
template <class T>
struct Direction {
  const T* gx;
  const T* w;
  const T* b;
  bool reverse;
  std::size_t input0;  // index of its gates_x (or x) among the node's inputs; h0, (c0), weight_hh, (bias_hh) follow
  xt::xarray<T> c_new, acts;    // c' before freezing, the gates: kept from forward to backward
  xt::xarray<T> h_prev, c_prev;  // the state entering each step: rebuilt in backward, not kept
  std::size_t projection = 0;  // when the op computed gates_x from x: index of weight_ih, (bias_ih) follows
  bool projection_bias = false;
};

/// One direction's gradients, computed in parallel with the other direction's and accumulated after.
template <class T>
struct DirectionGrads {
  xt::xarray<T> d_x, d_gh, dh, dc;
};

/// The sizes every direction of one op shares.
struct SequenceSize {
  std::size_t L, N, H, G, A;  // steps, batch, hidden, gate width, activations kept per row
  std::size_t NH() const { return N * H; }
};

// Forward over the rows `rows`, per step t (in processing order): a = gx_t + h W^T + b; gates and
// state as in the cells; y_t = h' on valid rows, 0 elsewhere; the state moves to (h', c') on valid
// rows only. `out` is this direction's packed (L + S, N, H) result, its h0 (and c0) already in rows
// L (and L + 1).
template <class T>
void forward_rows(SequenceSpec spec, const SequenceSize& z, const std::vector<std::size_t>& lengths, Direction<T>& d,
                  T* out, Rows rows) {
  using Kind = SequenceSpec::Kind;
  const bool lstm = spec.kind == Kind::Lstm;
  const std::size_t N = z.N, H = z.H, G = z.G, A = z.A, NH = z.NH(), n = rows.count(), row0 = rows.begin;
  T* h = out + z.L * NH + row0 * H;  // the running state lives in the h_n (and c_n) rows of the output
  T* c = lstm ? h + NH : nullptr;
  std::vector<char> valid;
  for (std::size_t k = 0; k < z.L; ++k) {
    const std::size_t t = d.reverse ? z.L - 1 - k : k;
    const std::size_t at = t * NH + row0 * H;  // this step's first row in (L, N, H) buffers
    T* y = out + at;
    T* a = d.acts.data() + (t * N + row0) * A;
    const T* x = d.gx + (t * N + row0) * G;
    const std::size_t n_valid = valid_rows(lengths, t, rows, valid);
    if (n_valid == 0) {  // every sequence has ended (or, reversed, not begun): nothing to compute
      std::fill(y, y + n * H, T(0));
      continue;
    }
    switch (spec.kind) {
      case Kind::Rnn:
        recurrent_product<T>(n, H, h, H, d.w, d.b, 0, H, y, H);
        rnn_forward<T>(n * H, x, y, spec.relu);
        break;
      case Kind::Lstm:
        recurrent_product<T>(n, H, h, H, d.w, d.b, 0, G, a, G);
        lstm_forward<T>(n, H, x, a, c, y, d.c_new.data() + at);
        copy_valid_rows<T>(d.c_new.data() + at, c, H, valid, n_valid);
        break;
      case Kind::Gru:
        gru_forward<T>(n, H, h, d.w, d.b, x, a, y, spec.reset_after);
        break;
    }
    copy_valid_rows<T>(y, h, H, valid, n_valid);
    zero_invalid_rows<T>(y, H, valid);
  }
}

/// Rebuilds, for the rows `rows`, the state that entered each step (h_prev, and c_prev for the
/// LSTM), which the forward does not keep since it repeats the outputs: on a valid row it is the
/// output (and c') of the step before in processing order, or h0 (c0) at the sequence's first step;
/// on a padded row, whose gradient is exactly zero, h0 (c0) stands in.
template <class T>
void restore_entering_states(const SequenceSize& z, const std::vector<std::size_t>& lengths, Direction<T>& d,
                             const T* y_all, const T* h0, const T* c0, Rows rows) {
  const std::size_t H = z.H, NH = z.NH();
  const bool lstm = d.c_prev.size() > 0;
  for (std::size_t t = 0; t < z.L; ++t)
    for (std::size_t b = rows.begin; b < rows.begin + rows.count(); ++b) {
      const std::size_t length = lengths.empty() ? z.L : lengths[b];
      const bool first = d.reverse ? t + 1 >= length : t == 0;
      const std::size_t before = d.reverse ? t + 1 : t - 1;  // the step processed just before t
      const bool from_output = t < length && !first;
      const T* h = from_output ? y_all + before * NH + b * H : h0 + b * H;
      std::copy(h, h + H, d.h_prev.data() + t * NH + b * H);
      if (!lstm) continue;
      const T* c = from_output ? d.c_new.data() + before * NH + b * H : c0 + b * H;
      std::copy(c, c + H, d.c_prev.data() + t * NH + b * H);
    }
}

// Backward over the rows `rows`, in reverse: dy = dout_t + dh on valid rows (0 elsewhere); the cell
// kernels give dA_t and dh_prev = dA_t W (+ the GRU's direct terms), dc_prev; frozen rows pass dh,
// dc through unchanged. `g` and `y_all` are this direction's packed gradient and output; `r` holds
// the whole direction's gradients, of which this call fills its rows. The weight gradients are left
// to accumulate_direction, which computes them from all L*N rows at once.
template <class T>
void backward_rows(SequenceSpec spec, const SequenceSize& z, const std::vector<std::size_t>& lengths,
                   const Direction<T>& d, const T* g, const T* y_all, DirectionGrads<T>& r, Rows rows) {
  using Kind = SequenceSpec::Kind;
  const bool lstm = spec.kind == Kind::Lstm;
  const bool gru_after = spec.kind == Kind::Gru && spec.reset_after;
  const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
  const std::size_t N = z.N, H = z.H, G = z.G, A = z.A, NH = z.NH(), n = rows.count(), row0 = rows.begin;
  T* dh = r.dh.data() + row0 * H;
  T* dc = lstm ? r.dc.data() + row0 * H : nullptr;
  std::copy(g + z.L * NH + row0 * H, g + z.L * NH + (row0 + n) * H, dh);
  if (lstm) std::copy(g + (z.L + 1) * NH + row0 * H, g + (z.L + 1) * NH + (row0 + n) * H, dc);
  std::vector<T> dy(n * H), dc_in(lstm ? n * H : 0), dh_new(n * H), dc_new(lstm ? n * H : 0),
      d_rh(gru_paper ? n * H : 0);
  std::vector<char> valid;
  for (std::size_t k = z.L; k-- > 0;) {
    const std::size_t t = d.reverse ? z.L - 1 - k : k;
    const std::size_t at = t * NH + row0 * H;
    T* dx = r.d_x.data() + (t * N + row0) * G;
    T* dg = gru_after ? r.d_gh.data() + (t * N + row0) * G : nullptr;
    const std::size_t n_valid = valid_rows(lengths, t, rows, valid);
    if (n_valid == 0) {
      std::fill(dx, dx + n * G, T(0));
      if (dg) std::fill(dg, dg + n * G, T(0));
      continue;
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0, q = i * H; j < H; ++j, ++q) {
        dy[q] = valid[i] ? g[at + q] + dh[q] : T(0);
        if (lstm) dc_in[q] = valid[i] ? dc[q] : T(0);
      }
    const T* hp = d.h_prev.data() + at;
    const T* a = d.acts.data() + (t * N + row0) * A;
    switch (spec.kind) {
      case Kind::Rnn:
        rnn_backward<T>(n * H, y_all + at, dy.data(), dx, spec.relu);
        break;
      case Kind::Lstm:
        lstm_backward<T>(n, H, a, d.c_prev.data() + at, d.c_new.data() + at, dy.data(), dc_in.data(), dx,
                         dc_new.data());
        break;
      case Kind::Gru:
        gru_gate_grads<T>(n, H, hp, d.w, a, dy.data(), dx, dg, d_rh.data(), spec.reset_after);
        break;
    }
    if (n_valid < n) {  // padded positions get exactly zero gradient, whatever their activations
      zero_invalid_rows<T>(dx, G, valid);
      if (dg) zero_invalid_rows<T>(dg, G, valid);
    }
    if (spec.kind == Kind::Gru)
      gru_state_grad<T>(n, H, d.w, a, dy.data(), dx, dg, d_rh.data(), dh_new.data(), true, spec.reset_after);
    else
      recurrent_input_grad<T>(n, dx, G, d.w, H, 0, G, dh_new.data(), true);
    copy_valid_rows<T>(dh_new.data(), dh, H, valid, n_valid);
    if (lstm) copy_valid_rows<T>(dc_new.data(), dc, H, valid, n_valid);
  }
}

/// Hands one direction's gradients to its inputs: dW = dA^T H_prev and db = sum dA as one product
/// over all L*N rows, d gates_x = dA, dh0, dc0.
template <class T>
void accumulate_direction(SequenceSpec spec, const SequenceSize& z, const BackwardContext<T>& ctx, const Direction<T>& d,
                          DirectionGrads<T>&& r) {
  const bool lstm = spec.kind == SequenceSpec::Kind::Lstm;
  const bool gru_paper = spec.kind == SequenceSpec::Kind::Gru && !spec.reset_after;
  const bool gru_after = spec.kind == SequenceSpec::Kind::Gru && spec.reset_after;
  const std::size_t w_index = d.input0 + (lstm ? 3 : 2), H = z.H, G = z.G;
  const T* h_all = d.h_prev.data();
  if (gru_paper)
    accumulate_weight_grads<T>(ctx, w_index, d.b != nullptr, z.L * z.N, r.d_x.data(), G, H,
                               {{0, 2 * H, h_all, H}, {2 * H, H, d.acts.data() + 3 * H, 4 * H}});
  else
    accumulate_weight_grads<T>(ctx, w_index, d.b != nullptr, z.L * z.N, gru_after ? r.d_gh.data() : r.d_x.data(), G, H,
                               {{0, G, h_all, H}});
  ctx.accumulate(d.input0 + 1, std::move(r.dh));
  if (lstm) ctx.accumulate(d.input0 + 2, std::move(r.dc));
  if (!d.projection) {
    ctx.accumulate(d.input0, std::move(r.d_x));
    return;
  }
  // gates_x = x W_ih^T + b_ih was computed by the op: the products of linear's backward, the same calls.
  const std::size_t I = ctx.input_shape(d.input0).back(), rows = z.L * z.N;
  ctx.accumulate_into(d.input0, [&](xt::xarray<T>& dx, bool fresh) {
    detail::gemm<T>(false, false, rows, I, G, 1, r.d_x.data(), G, ctx.input(d.projection).data(), I,
                    fresh ? 0 : 1, dx.data(), I);
  });
  accumulate_weight_grads<T>(ctx, d.projection, d.projection_bias, rows, r.d_x.data(), G, I,
                             {{0, G, ctx.input(d.input0).data(), I}});
}

/// The operands of one direction, as given, and whether it runs in reverse; `gates` is gates_x as
/// given, or as computed from x, weight_ih and bias_ih (then it lives only as long as the forward).
struct DirectionOperands {
  const SequenceOperands& tensors;
  bool reverse;
  Tensor gates = {};
};

// One node for one or two directions of a layer. With more than one thread, the directions and row
// ranges of split_into_tasks run at the same time, one per core, in forward and in backward
// (parallel_tasks: each task's products stay on its core); the weight gradients, one large product per
// direction, come after, split over all the cores. The result is (L + S, N, H) for one direction
// and (2, L + S, N, H) for two.
template <class T>
Tensor run_sequences(const char* op, SequenceSpec spec, const CellShape& s, const std::vector<DirectionOperands>& ops,
                     const std::vector<std::size_t>& lengths) {
  const bool lstm = spec.kind == SequenceSpec::Kind::Lstm;
  const Tensor& gx0 = ops[0].gates;
  const SequenceSize z{gx0.shape()[0], s.n, s.h, gx0.shape()[2], spec.kind == SequenceSpec::Kind::Rnn ? 0 : 4 * s.h};
  const std::size_t D = ops.size(), packed = (z.L + (lstm ? 2 : 1)) * z.NH();
  const std::size_t rows = z.L + (lstm ? 2 : 1);
  xt::xarray<T> out = xt::xarray<T>::from_shape(D > 1 ? Shape{D, rows, z.N, z.H} : Shape{rows, z.N, z.H});
  std::vector<Tensor> inputs;
  std::vector<Direction<T>> dirs;
  for (const DirectionOperands& o : ops) {
    const SequenceOperands& v = o.tensors;
    dirs.push_back({o.gates.data<T>().data(), v.weight_hh.data<T>().data(), bias_data<T>(v.bias_hh), o.reverse,
                    inputs.size(), {}, {}, {}, {}});
    T* h = out.data() + (dirs.size() - 1) * packed + z.L * z.NH();
    std::copy(v.h0.data<T>().data(), v.h0.data<T>().data() + z.NH(), h);
    if (lstm) std::copy(v.c0.data<T>().data(), v.c0.data<T>().data() + z.NH(), h + z.NH());
    const bool projected = v.x.defined();
    inputs.push_back(projected ? v.x : v.gates_x);
    inputs.push_back(v.h0);
    if (lstm) inputs.push_back(v.c0);
    inputs.push_back(v.weight_hh);
    if (v.bias_hh.defined()) inputs.push_back(v.bias_hh);  // the optional bias_hh, when given, follows W_hh
    if (projected) {
      dirs.back().projection = inputs.size();
      dirs.back().projection_bias = v.bias_ih.defined();
      inputs.push_back(v.weight_ih);
      if (v.bias_ih.defined()) inputs.push_back(v.bias_ih);
    }
  }
  const bool lstm_or_gru = z.A > 0;
  for (Direction<T>& d : dirs) {
    d.c_new = xt::xarray<T>::from_shape({lstm ? z.L : 0, z.N, z.H});
    d.acts = xt::xarray<T>::from_shape({lstm_or_gru ? z.L : 0, z.N, z.A});
  }
  const std::vector<Task> tasks = split_into_tasks(D, z.N);
  parallel_tasks(tasks.size(), [&](std::size_t i) {
    const Task& task = tasks[i];
    forward_rows<T>(spec, z, lengths, dirs[task.direction], out.data() + task.direction * packed, task.rows);
  });

  auto backward = [=, dirs = std::move(dirs)](BackwardContext<T>& ctx) mutable {
    const bool gru_after = spec.kind == SequenceSpec::Kind::Gru && spec.reset_after;
    for (Direction<T>& d : dirs) {
      d.h_prev = xt::xarray<T>::from_shape({z.L, z.N, z.H});
      d.c_prev = xt::xarray<T>::from_shape({lstm ? z.L : 0, z.N, z.H});
    }
    std::vector<DirectionGrads<T>> grads(D);
    for (DirectionGrads<T>& r : grads) {
      r.d_x = xt::xarray<T>::from_shape({z.L, z.N, z.G});
      r.d_gh = xt::xarray<T>::from_shape({gru_after ? z.L : 0, z.N, z.G});  // d (h W^T + b) when it differs
      r.dh = xt::xarray<T>::from_shape({z.N, z.H});
      r.dc = xt::xarray<T>::from_shape({lstm ? z.N : 0, z.H});
    }
    parallel_tasks(tasks.size(), [&](std::size_t i) {
      const Task& task = tasks[i];
      Direction<T>& d = dirs[task.direction];
      const T* y_all = ctx.output().data() + task.direction * packed;
      restore_entering_states<T>(z, lengths, d, y_all, ctx.input(d.input0 + 1).data(),
                                 lstm ? ctx.input(d.input0 + 2).data() : nullptr, task.rows);
      backward_rows<T>(spec, z, lengths, d, ctx.grad().data() + task.direction * packed, y_all,
                       grads[task.direction], task.rows);
    });
    // Last direction first: a layer input shared by both directions then gets its gradient in the
    // order the two separate linear nodes of an unfused projection would give it (the same bits).
    for (std::size_t i = D; i-- > 0;) accumulate_direction<T>(spec, z, ctx, dirs[i], std::move(grads[i]));
    for (Direction<T>& d : dirs) d.h_prev = d.c_prev = xt::xarray<T>();  // until the next backward, if any
  };
  return record<T>(op, std::move(out), inputs, std::move(backward));
}

/// gates_x for one direction: as given, or x W_ih^T + b_ih computed here without a node (the op
/// gives x, weight_ih and bias_ih their gradients itself), so it lives only as long as the forward.
Tensor gates_of(const char* op, const SequenceOperands& v) {
  if (!v.x.defined()) {
    if (v.weight_ih.defined() || v.bias_ih.defined())
      fail<ValueError>("{}: weight_ih or bias_ih given without x", op);
    return v.gates_x;
  }
  if (v.gates_x.defined()) fail<ValueError>("{}: give either gates_x or x with weight_ih, not both", op);
  detail::check_defined(op, v.weight_ih);
  if (v.x.dim() != 3) fail<ShapeError>("{}: x {} must be (seq, batch, input_size)", op, shape_str(v.x.shape()));
  NoGradGuard no_grad;
  return linear(v.x, v.weight_ih, v.bias_ih);
}

/// Checks one direction's operands; every direction of an op must agree in shape, dtype and bias.
CellShape check_direction(const char* op, SequenceSpec spec, const SequenceOperands& v, const Tensor& gates_x) {
  const bool lstm = spec.kind == SequenceSpec::Kind::Lstm;
  const std::size_t gates = lstm ? 4 : spec.kind == SequenceSpec::Kind::Gru ? 3 : 1;
  const CellShape s = check_operands(op, gates, true, gates_x, v.h0, v.weight_hh, v.bias_hh);
  if (s.p != s.h)
    fail<ShapeError>("{}: weight_hh {} must be ({} * hidden_size, hidden_size){}", op, shape_str(v.weight_hh.shape()),
                     gates, lstm ? "; a projected LSTM steps with lstm_cell" : "");
  if (lstm) {
    detail::check_defined(op, v.c0);
    detail::check_same_dtype(op, {v.h0, v.c0});
    if (v.c0.shape() != v.h0.shape())
      fail<ShapeError>("{}: c0 {} does not match h0 {}", op, shape_str(v.c0.shape()), shape_str(v.h0.shape()));
  }
  return s;
}

Tensor sequence(const char* op, SequenceSpec spec, std::vector<DirectionOperands> ops,
                const std::vector<std::size_t>& lengths) {
  for (DirectionOperands& o : ops) o.gates = gates_of(op, o.tensors);
  const CellShape s = check_direction(op, spec, ops[0].tensors, ops[0].gates);
  for (std::size_t i = 1; i < ops.size(); ++i) {
    const SequenceOperands &a = ops[0].tensors, &b = ops[i].tensors;
    check_direction(op, spec, b, ops[i].gates);
    if (ops[i].gates.shape() != ops[0].gates.shape() || b.weight_hh.shape() != a.weight_hh.shape() ||
        b.bias_hh.defined() != a.bias_hh.defined() || b.h0.dtype() != a.h0.dtype() ||
        b.x.defined() != a.x.defined() || b.bias_ih.defined() != a.bias_ih.defined())
      fail<ShapeError>("{}: the reverse direction's gates_x {}, weight_hh {}{} differ from the forward one's {}, {}{}",
                       op, shape_str(ops[i].gates.shape()), shape_str(b.weight_hh.shape()),
                       b.bias_hh.defined() ? ", bias" : ", no bias", shape_str(ops[0].gates.shape()),
                       shape_str(a.weight_hh.shape()), a.bias_hh.defined() ? ", bias" : ", no bias");
  }
  check_lengths(op, lengths, ops[0].gates.shape()[0], s.n);
  return visit_dtype(ops[0].tensors.h0.dtype(),
                     [&]<class T>() { return run_sequences<T>(op, spec, s, ops, lengths); });
}

Tensor one_direction(const char* op, SequenceSpec spec, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                     const Tensor& weight_hh, const Tensor& bias_hh, const std::vector<std::size_t>& lengths,
                     bool reverse) {
  const SequenceOperands operands{gates_x, h0, c0, weight_hh, bias_hh};
  return sequence(op, spec, {{operands, reverse}}, lengths);
}

Tensor one_direction(const char* op, SequenceSpec spec, const SequenceOperands& operands,
                     const std::vector<std::size_t>& lengths, bool reverse) {
  return sequence(op, spec, {{operands, reverse}}, lengths);
}

Tensor two_directions(const char* op, SequenceSpec spec, const SequenceOperands& forward,
                      const SequenceOperands& reverse, const std::vector<std::size_t>& lengths) {
  return sequence(op, spec, {{forward, false}, {reverse, true}}, lengths);
}

}  // namespace

Tensor rnn_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    RnnNonlinearity nonlinearity, const std::vector<std::size_t>& lengths, bool reverse) {
  return one_direction("rnn_sequence", {SequenceSpec::Kind::Rnn, nonlinearity == RnnNonlinearity::Relu}, gates_x, h0,
                       Tensor(), weight_hh, bias_hh, lengths, reverse);
}

Tensor lstm_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& weight_hh,
                     const Tensor& bias_hh, const std::vector<std::size_t>& lengths, bool reverse) {
  return one_direction("lstm_sequence", {SequenceSpec::Kind::Lstm}, gates_x, h0, c0, weight_hh, bias_hh, lengths,
                       reverse);
}

Tensor gru_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    bool reset_after, const std::vector<std::size_t>& lengths, bool reverse) {
  return one_direction("gru_sequence", {SequenceSpec::Kind::Gru, false, reset_after}, gates_x, h0, Tensor(),
                       weight_hh, bias_hh, lengths, reverse);
}

Tensor rnn_sequence(const SequenceOperands& operands, RnnNonlinearity nonlinearity,
                    const std::vector<std::size_t>& lengths, bool reverse) {
  return one_direction("rnn_sequence", {SequenceSpec::Kind::Rnn, nonlinearity == RnnNonlinearity::Relu}, operands,
                       lengths, reverse);
}

Tensor lstm_sequence(const SequenceOperands& operands, const std::vector<std::size_t>& lengths, bool reverse) {
  return one_direction("lstm_sequence", {SequenceSpec::Kind::Lstm}, operands, lengths, reverse);
}

Tensor gru_sequence(const SequenceOperands& operands, bool reset_after, const std::vector<std::size_t>& lengths,
                    bool reverse) {
  return one_direction("gru_sequence", {SequenceSpec::Kind::Gru, false, reset_after}, operands, lengths, reverse);
}

Tensor rnn_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse,
                         RnnNonlinearity nonlinearity, const std::vector<std::size_t>& lengths) {
  return two_directions("rnn_bidirectional", {SequenceSpec::Kind::Rnn, nonlinearity == RnnNonlinearity::Relu},
                        forward, reverse, lengths);
}

Tensor lstm_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse,
                          const std::vector<std::size_t>& lengths) {
  return two_directions("lstm_bidirectional", {SequenceSpec::Kind::Lstm}, forward, reverse, lengths);
}

Tensor gru_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse, bool reset_after,
                         const std::vector<std::size_t>& lengths) {
  return two_directions("gru_bidirectional", {SequenceSpec::Kind::Gru, false, reset_after}, forward, reverse,
                        lengths);
}

}  // namespace tg
