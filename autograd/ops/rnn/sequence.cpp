// recurrent_sequence (see recurrent.hpp): the time loop of a layer inside one op, with the per-step
// gate math of the cells (kernels.hpp). What makes it faster than L cell nodes: buffers allocated
// once per sequence, no per-step nodes, and each weight gradient as one product over all L*N rows.
//
// The node has one output, so the op packs a direction's results into one flat buffer, one
// segment per direction (SequenceSize), and hands them out as tensors of their own through `unpack`
// nodes (whose backward writes into the segment's gradient). Flat, because a projected LSTM's h and
// c differ in width.
#include "autograd/ops/common.hpp"
#include "autograd/ops/rnn/kernels.hpp"
#include "autograd/threads.hpp"

#include <functional>

namespace tg {

namespace {

using namespace detail::rnn;
using Kind = CellSpec::Kind;

/// Each direction's operands are node inputs at fixed slots from its first one; the absent ones
/// (a bias when bias=false, c0 unless an LSTM, weight_ih when gates_x came precomputed, weight_hr
/// unless an LSTM projects) are undefined tensors that keep their slot.
enum Slot : std::size_t { X, H0, C0, WeightIh, BiasIh, WeightHh, BiasHh, WeightHr, kSlots };

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

/// The sizes every direction of one op shares, and where a direction's results sit in its segment:
/// h0 (N, P), the outputs (L, N, P), h0 again, h_n (N, P), and c_n (N, H) for an LSTM. With h0 on
/// both sides of the outputs, the states entering the steps of an unpadded batch are one run of
/// rows in place, h0 then y_0 .. y_{L-2} (in reverse: y_1 .. y_{L-1} then h0), which the backward
/// multiplies by instead of copying them out (Direction::h_entering). The kept c' are laid out alike.
struct SequenceSize {
  std::size_t L, N, H, P, G, A;  // steps, batch, hidden, h's width, gate width, activations kept per row
  bool lstm;
  std::size_t outputs() const { return N * P; }
  std::size_t h_n() const { return (L + 2) * N * P; }
  std::size_t c_n() const { return (L + 3) * N * P; }
  std::size_t segment() const { return (L + 3) * N * P + (lstm ? N * H : 0); }
  /// Where the state entering step 0 of an unpadded batch sits, in rows of the segment (or of c_new).
  std::size_t entering(bool reverse) const { return reverse ? 2 * N : 0; }
};

/// The weights that every step of a pass multiplies by, packed once per pass (kernels.hpp): W_hh,
/// and W_hr when an LSTM projects, as the forward's products read them or as the backward's do. A
/// forward under detail::ReusePackedWeights (a decoder's steps) takes the packings kept there.
template <class T>
struct StepOperands {
  std::shared_ptr<const detail::PackedB<T>> w, w_hr;
};

/// One direction of a sequence op: where its operands live, and what its forward keeps for backward.
template <class T>
struct Direction {
  const T* gx = nullptr;
  const T* w = nullptr;
  const T* b = nullptr;
  const T* w_hr = nullptr;  // null unless an LSTM projects
  bool reverse = false;
  std::size_t slot0 = 0;     // its first input slot
  bool projects_x = false;   // the op computed gates_x from x
  // c' before freezing (c0, step 0 .. L-1, c0 again, as the segment's h), the gates: kept from
  // forward to backward
  xt::xarray<T> c_new, acts;
  xt::xarray<T> y_cell;       // a projected LSTM's o * tanh(c') before the projection: kept
  std::vector<char> c_clipped, h_clipped;  // where cell_clip and proj_clip bit: kept
  // The state entering each step, (L, N, P) and (L, N, H): in place in the segment and c_new for
  // an unpadded batch, else rebuilt in backward into h_prev and c_prev (restore_entering_states).
  const T* h_entering = nullptr;
  const T* c_entering = nullptr;
  xt::xarray<T> h_prev, c_prev;
  StepOperands<T> step;          // W_hh and W_hr packed for the per-step products of one pass
  // Under an open ReusePackedWeights, the backward's W_hh and W_hr and (when the op projects x)
  // W_ih packed as the backward reads them, taken from the packings kept there: every step of a
  // decoder shares one instead of its backward packing its own. Null outside one.
  StepOperands<T> reused_backward;
  std::shared_ptr<const detail::PackedB<T>> reused_w_ih;
};

/// One direction's gradients, computed in parallel with the other direction's and accumulated after.
template <class T>
struct DirectionGrads {
  xt::xarray<T> d_x, d_gh, d_h, dh, dc;  // d_h: a projected LSTM's dh' of every step, for dW_hr
};

/// Direction d's per-step weights packed for the forward pass (given its weight tensors) or for the
/// backward one (null). A paper-form GRU multiplies by two blocks of W_hh in its forward step;
/// those stay unpacked.
template <class T>
StepOperands<T> step_operands(const CellSpec& spec, const SequenceSize& z, const Direction<T>& d,
                              const CellWeights* forward) {
  const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
  StepOperands<T> s;
  // W^T (p, rows) packed, or the packing an open ReusePackedWeights keeps of it.
  auto forward_packed = [](const Tensor& weight, const T* w, std::size_t p, std::size_t rows) {
    if (auto reused = detail::reused_packing<T>(weight, true, p, rows)) return reused;
    return std::make_shared<const detail::PackedB<T>>(forward_operand(w, p, rows));
  };
  auto backward_packed = [](const T* w, std::size_t p, std::size_t rows) {
    return std::make_shared<const detail::PackedB<T>>(backward_operand(w, p, rows));
  };
  if (forward) {
    if (!gru_paper) s.w = forward_packed(forward->weight_hh, d.w, z.P, z.G);
    if (d.w_hr) s.w_hr = forward_packed(forward->weight_hr, d.w_hr, z.H, z.P);
  } else {
    s.w = backward_packed(d.w, z.P, gru_paper ? 2 * z.H : z.G);
    if (d.w_hr) s.w_hr = backward_packed(d.w_hr, z.H, z.P);
  }
  return s;
}

/// Fills d.reused_backward and d.reused_w_ih from the ReusePackedWeights open on this thread, if any.
template <class T>
void take_reused_backward_operands(const CellSpec& spec, const SequenceSize& z, const SequenceOperands& v,
                                   Direction<T>& d) {
  if (!GradMode::enabled()) return;  // no backward to come (decoding)
  const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
  const CellWeights& w = v.weights;
  d.reused_backward.w = detail::reused_packing<T>(w.weight_hh, false, gru_paper ? 2 * z.H : z.G, z.P);
  if (!d.reused_backward.w) return;  // no scope open (or W_hh needs no gradient)
  if (d.w_hr) d.reused_backward.w_hr = detail::reused_packing<T>(w.weight_hr, false, z.P, z.H);
  if (d.w_hr && !d.reused_backward.w_hr) d.reused_backward = {};  // both or neither
  if (d.projects_x) d.reused_w_ih = detail::reused_packing<T>(w.weight_ih, false, z.G, v.x.shape().back());
}

/// x = clamp(x, -clip, clip) over n values, marking the clamped ones (whose gradient is zero).
template <class T>
void clip_values(std::size_t n, T* x, T clip, char* clipped) {
  for (std::size_t j = 0; j < n; ++j) {
    clipped[j] = x[j] > clip || x[j] < -clip;
    if (clipped[j]) x[j] = std::clamp(x[j], -clip, clip);
  }
}

// Forward over the rows `rows`, per step t (in processing order): a = gx_t + h W^T + b; gates and
// state as in the cells (an LSTM's clipping and projection after them); y_t = h' on valid rows, 0
// elsewhere; the state moves to (h', c') on valid rows only. `out` is this direction's segment,
// h0 (and c0) already in its places. The state entering a step is read where it is for an unpadded
// batch (SequenceSize), the last one copied into h_n (and c_n) at the end; in a padded batch, the
// running state lives in the h_n (and c_n) places.
template <class T>
void forward_rows(const CellSpec& spec, const SequenceSize& z, const std::vector<std::size_t>& lengths,
                  Direction<T>& d, T* out, Rows rows) {
  const std::size_t N = z.N, H = z.H, P = z.P, G = z.G, A = z.A, n = rows.count(), row0 = rows.begin;
  const T cell_clip = T(spec.cell_clip), proj_clip = T(spec.proj_clip);
  const bool in_place = lengths.empty();
  T* h_n = out + z.h_n() + row0 * P;
  T* c_n = z.lstm ? out + z.c_n() + row0 * H : nullptr;
  std::vector<char> valid;
  for (std::size_t k = 0; k < z.L; ++k) {
    const std::size_t t = d.reverse ? z.L - 1 - k : k;
    const std::size_t at = (t * N + row0) * P, at_c = (t * N + row0) * H;  // this step's first row
    const T* h = in_place ? out + z.entering(d.reverse) * P + at : h_n;
    const T* c = !z.lstm ? nullptr : in_place ? d.c_new.data() + z.entering(d.reverse) * H + at_c : c_n;
    T* y = out + z.outputs() + at;
    T* a = d.acts.data() + (t * N + row0) * A;
    const T* x = d.gx + (t * N + row0) * G;
    const std::size_t n_valid = valid_rows(lengths, t, rows, valid);
    if (n_valid == 0) {  // every sequence has ended (or, reversed, not begun): nothing to compute
      std::fill(y, y + n * P, T(0));
      if (d.w_hr) std::fill(d.y_cell.data() + at_c, d.y_cell.data() + at_c + n * H, T(0));
      continue;
    }
    switch (spec.kind) {
      case Kind::Rnn:
        recurrent_product<T>(n, H, h, H, d.w, d.b, 0, H, y, H, d.step.w.get());
        rnn_forward<T>(n * H, x, y, spec.nonlinearity == RnnNonlinearity::Relu);
        break;
      case Kind::Lstm: {
        T* y_cell = d.w_hr ? d.y_cell.data() + at_c : y;
        T* c_new = d.c_new.data() + N * H + at_c;
        recurrent_product<T>(n, P, h, P, d.w, d.b, 0, G, a, G, d.step.w.get());
        lstm_forward<T>(n, H, x, a, c, y_cell, c_new);
        if (cell_clip > 0) {
          char* clipped = d.c_clipped.data() + at_c;
          clip_values<T>(n * H, c_new, cell_clip, clipped);
          for (std::size_t i = 0; i < n; ++i)  // y = o tanh(c') again where c' was clamped
            for (std::size_t j = 0; j < H; ++j)
              if (clipped[i * H + j]) y_cell[i * H + j] = a[i * G + 3 * H + j] * std::tanh(c_new[i * H + j]);
        }
        if (d.w_hr) {
          detail::gemm_packed<T>(false, n, 1, y_cell, H, *d.step.w_hr, 0, y, P);
          if (proj_clip > 0) clip_values<T>(n * P, y, proj_clip, d.h_clipped.data() + at);
        }
        if (!in_place) copy_valid_rows<T>(c_new, c_n, H, valid, n_valid);
        break;
      }
      case Kind::Gru:
        gru_forward<T>(n, H, h, d.w, d.b, x, a, y, spec.reset_after, spec.reset_after ? d.step.w.get() : nullptr);
        break;
    }
    if (in_place) continue;
    copy_valid_rows<T>(y, h_n, P, valid, n_valid);
    zero_invalid_rows<T>(y, P, valid);
  }
  if (!in_place) return;
  const std::size_t last = d.reverse ? 0 : z.L - 1;  // the step processed last
  const T* y_last = out + z.outputs() + (last * N + row0) * P;
  std::copy(y_last, y_last + n * P, h_n);
  if (z.lstm) {
    const T* c_last = d.c_new.data() + ((last + 1) * N + row0) * H;
    std::copy(c_last, c_last + n * H, c_n);
  }
}

/// Rebuilds, for the rows `rows` of a padded batch, the state that entered each step (h_prev, and
/// c_prev for the LSTM), which the forward does not keep apart since it repeats the outputs: on a
/// valid row it is the output (and c') of the step before in processing order, or h0 (c0) at the
/// sequence's first step; on a padded row, whose gradient is exactly zero, h0 (c0) stands in.
/// (Unpadded, these are the rows the segment holds in place: SequenceSize.)
template <class T>
void restore_entering_states(const SequenceSize& z, const std::vector<std::size_t>& lengths, Direction<T>& d,
                             const T* y_all, const T* h0, const T* c0, Rows rows) {
  const std::size_t H = z.H, P = z.P, N = z.N;
  for (std::size_t t = 0; t < z.L; ++t)
    for (std::size_t b = rows.begin; b < rows.begin + rows.count(); ++b) {
      const std::size_t length = lengths.empty() ? z.L : lengths[b];
      const bool first = d.reverse ? t + 1 >= length : t == 0;
      const std::size_t before = d.reverse ? t + 1 : t - 1;  // the step processed just before t
      const bool from_output = t < length && !first;
      const T* h = from_output ? y_all + (before * N + b) * P : h0 + b * P;
      std::copy(h, h + P, d.h_prev.data() + (t * N + b) * P);
      if (!z.lstm) continue;
      const T* c = from_output ? d.c_new.data() + ((before + 1) * N + b) * H : c0 + b * H;
      std::copy(c, c + H, d.c_prev.data() + (t * N + b) * H);
    }
}

// Backward over the rows `rows`, in reverse: dh' = dout_t + dh on valid rows (0 elsewhere); an
// LSTM's projection and clipping give dy; the cell kernels give dA_t and dh_prev = dA_t W (+ the
// GRU's direct terms), dc_prev; frozen rows pass dh, dc through unchanged. `g` is this direction's
// segment of the gradient, `y_all` its outputs (L, N, P); `r` holds the whole direction's gradients,
// of which this call fills its rows. The weight gradients are left to accumulate_direction, which
// computes them from all L*N rows at once.
template <class T>
void backward_rows(const CellSpec& spec, const SequenceSize& z, const std::vector<std::size_t>& lengths,
                   const Direction<T>& d, const T* g, const T* y_all, DirectionGrads<T>& r, Rows rows) {
  const bool gru_after = spec.kind == Kind::Gru && spec.reset_after;
  const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
  const std::size_t N = z.N, H = z.H, P = z.P, G = z.G, A = z.A, n = rows.count(), row0 = rows.begin;
  T* dh = r.dh.data() + row0 * P;
  T* dc = z.lstm ? r.dc.data() + row0 * H : nullptr;
  const T* g_y = g + z.outputs();
  std::copy(g + z.h_n() + row0 * P, g + z.h_n() + (row0 + n) * P, dh);
  if (z.lstm) std::copy(g + z.c_n() + row0 * H, g + z.c_n() + (row0 + n) * H, dc);
  std::vector<T> dy(n * P), dc_in(z.lstm ? n * H : 0), dh_new(n * P), dc_new(z.lstm ? n * H : 0),
      d_rh(gru_paper ? n * H : 0), dy_cell(d.w_hr ? n * H : 0);
  std::vector<char> valid;
  for (std::size_t k = z.L; k-- > 0;) {
    const std::size_t t = d.reverse ? z.L - 1 - k : k;
    const std::size_t at = (t * N + row0) * P, at_c = (t * N + row0) * H;
    T* dx = r.d_x.data() + (t * N + row0) * G;
    T* dg = gru_after ? r.d_gh.data() + (t * N + row0) * G : nullptr;
    const std::size_t n_valid = valid_rows(lengths, t, rows, valid);
    if (n_valid == 0) {
      std::fill(dx, dx + n * G, T(0));
      if (dg) std::fill(dg, dg + n * G, T(0));
      if (d.w_hr) std::fill(r.d_h.data() + at, r.d_h.data() + at + n * P, T(0));
      continue;
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0, q = i * P; j < P; ++j, ++q) dy[q] = valid[i] ? g_y[at + q] + dh[q] : T(0);
    // With every row valid, dh and dc are overwritten in place (each element of dc read before it
    // is written); else through dh_new and dc_new, whose valid rows are copied back.
    const bool all_valid = n_valid == n;
    T* dh_to = all_valid ? dh : dh_new.data();
    T* dc_to = all_valid ? dc : dc_new.data();
    if (z.lstm && !all_valid)
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0, q = i * H; j < H; ++j, ++q) dc_in[q] = valid[i] ? dc[q] : T(0);
    const T* hp = d.h_entering + at;
    const T* a = d.acts.data() + (t * N + row0) * A;
    switch (spec.kind) {
      case Kind::Rnn:
        rnn_backward<T>(n * H, y_all + at, dy.data(), dx, spec.nonlinearity == RnnNonlinearity::Relu);
        break;
      case Kind::Lstm: {
        const T* d_y = dy.data();
        if (d.w_hr) {  // h' = clamp(y W_hr^T): dy = dh' W_hr, with dh' zero where the clamp bit
          if (spec.proj_clip > 0)
            for (std::size_t q = 0; q < n * P; ++q)
              if (d.h_clipped[at + q]) dy[q] = T(0);
          std::copy(dy.begin(), dy.end(), r.d_h.data() + at);
          detail::gemm_packed<T>(false, n, 1, dy.data(), P, *d.step.w_hr, 0, dy_cell.data(), H);
          d_y = dy_cell.data();
        }
        lstm_backward<T>(n, H, a, d.c_entering + at_c, d.c_new.data() + N * H + at_c, d_y,
                         all_valid ? dc : dc_in.data(), dx, dc_to);
        if (spec.cell_clip > 0)  // a clamped c' passes no gradient to i, f, g and c
          for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < H; ++j)
              if (d.c_clipped[at_c + i * H + j]) {
                for (std::size_t gate = 0; gate < 3; ++gate) dx[i * G + gate * H + j] = T(0);
                dc_to[i * H + j] = T(0);
              }
        break;
      }
      case Kind::Gru:
        gru_gate_grads<T>(n, H, hp, d.w, a, dy.data(), dx, dg, d_rh.data(), spec.reset_after);
        break;
    }
    if (n_valid < n) {  // padded positions get exactly zero gradient, whatever their activations
      zero_invalid_rows<T>(dx, G, valid);
      if (dg) zero_invalid_rows<T>(dg, G, valid);
    }
    if (spec.kind == Kind::Gru)
      gru_state_grad<T>(n, H, d.w, a, dy.data(), dx, dg, d_rh.data(), dh_to, true, spec.reset_after, d.step.w.get());
    else
      recurrent_input_grad<T>(n, dx, G, d.w, P, 0, G, dh_to, true, d.step.w.get());
    if (all_valid) continue;
    copy_valid_rows<T>(dh_new.data(), dh, P, valid, n_valid);
    if (z.lstm) copy_valid_rows<T>(dc_new.data(), dc, H, valid, n_valid);
  }
}

/// Hands one direction's gradients to its inputs: dW_hh = dA^T H_prev, db_hh = sum dA and
/// dW_hr = dH'^T Y as one product each over all L*N rows; d gates_x = dA; dh0, dc0.
template <class T>
void accumulate_direction(const CellSpec& spec, const SequenceSize& z, const BackwardContext<T>& ctx,
                          const Direction<T>& d, DirectionGrads<T>&& r) {
  const bool gru_paper = spec.kind == Kind::Gru && !spec.reset_after;
  const bool gru_after = spec.kind == Kind::Gru && spec.reset_after;
  auto slot = [&](Slot s) { return d.slot0 + s; };
  const std::size_t H = z.H, P = z.P, G = z.G, rows = z.L * z.N;
  const T* h_all = d.h_entering;
  // db_hh's sums of dA, which db_ih shares unless the reset_after GRU's d (h W^T + b) differs from dA
  std::vector<T> d_a_sums;
  if (gru_paper)
    detail::accumulate_weight_grads<T>(ctx, slot(WeightHh), rows, r.d_x.data(), G, H,
                                       {{0, 2 * H, h_all, H}, {2 * H, H, d.acts.data() + 3 * H, 4 * H}}, {},
                                       &d_a_sums);
  else if (gru_after)
    detail::accumulate_weight_grads<T>(ctx, slot(WeightHh), rows, r.d_gh.data(), G, P, {{0, G, h_all, P}});
  else
    detail::accumulate_weight_grads<T>(ctx, slot(WeightHh), rows, r.d_x.data(), G, P, {{0, G, h_all, P}}, {},
                                       &d_a_sums);
  if (d.w_hr)
    ctx.accumulate_into(slot(WeightHr), [&](xt::xarray<T>& dw, bool fresh) {
      detail::gemm<T>(true, false, P, H, rows, 1, r.d_h.data(), P, d.y_cell.data(), H, fresh ? 0 : 1, dw.data(), H);
    });
  ctx.accumulate(slot(H0), std::move(r.dh));
  if (z.lstm) ctx.accumulate(slot(C0), std::move(r.dc));
  if (!d.projects_x) {
    ctx.accumulate(slot(X), std::move(r.d_x));
    return;
  }
  // gates_x = x W_ih^T + b_ih was computed by the op: the products of linear's backward, the same calls.
  const std::size_t I = ctx.input_shape(slot(X)).back();
  ctx.accumulate_into(slot(X), [&](xt::xarray<T>& dx, bool fresh) {
    if (d.reused_w_ih)
      return detail::gemm_packed<T>(false, rows, 1, r.d_x.data(), G, *d.reused_w_ih, fresh ? 0 : 1, dx.data(), I);
    detail::gemm<T>(false, false, rows, I, G, 1, r.d_x.data(), G, ctx.input(slot(WeightIh)).data(), I,
                    fresh ? 0 : 1, dx.data(), I);
  });
  detail::accumulate_weight_grads<T>(ctx, slot(WeightIh), rows, r.d_x.data(), G, I,
                                     {{0, G, ctx.input(slot(X)).data(), I}}, d_a_sums);
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
// (parallel_tasks: each task's products stay on its core); the weight gradients, one large product
// per direction, come after, split over all the cores. The result holds one segment per direction.
template <class T>
Tensor run_sequences(const char* op, const CellSpec& spec, const SequenceSize& z,
                     const std::vector<DirectionOperands>& ops, const std::vector<std::size_t>& lengths) {
  const std::size_t D = ops.size(), segment = z.segment();
  xt::xarray<T> out = xt::xarray<T>::from_shape({D * segment});
  std::vector<Tensor> inputs;
  std::vector<Direction<T>> dirs;
  for (const DirectionOperands& o : ops) {
    const SequenceOperands& v = o.tensors;
    const CellWeights& w = v.weights;
    Direction<T>& d = dirs.emplace_back();
    d.gx = o.gates.data<T>().data();
    d.w = w.weight_hh.data<T>().data();
    d.b = data_or_null<T>(w.bias_hh);
    d.w_hr = data_or_null<T>(w.weight_hr);
    d.reverse = o.reverse;
    d.slot0 = inputs.size();
    d.projects_x = v.x.defined();
    d.c_new = xt::xarray<T>::from_shape({z.lstm ? z.L + 2 : 0, z.N, z.H});
    T* seg = out.data() + (dirs.size() - 1) * segment;
    const T* h0 = v.h0.data<T>().data();
    for (T* to : {seg, seg + z.outputs() + z.L * z.N * z.P, seg + z.h_n()}) std::copy(h0, h0 + z.N * z.P, to);
    if (z.lstm) {
      const T* c0 = v.c0.data<T>().data();
      for (T* to : {d.c_new.data(), d.c_new.data() + (z.L + 1) * z.N * z.H, seg + z.c_n()})
        std::copy(c0, c0 + z.N * z.H, to);
    }
    inputs.insert(inputs.end(), {d.projects_x ? v.x : v.gates_x, v.h0, v.c0, w.weight_ih, w.bias_ih, w.weight_hh,
                                 w.bias_hh, w.weight_hr});
    d.acts = xt::xarray<T>::from_shape({z.A > 0 ? z.L : 0, z.N, z.A});
    d.y_cell = xt::xarray<T>::from_shape({d.w_hr ? z.L : 0, z.N, z.H});
    d.c_clipped.resize(spec.cell_clip > 0 ? z.L * z.N * z.H : 0);
    d.h_clipped.resize(spec.proj_clip > 0 ? z.L * z.N * z.P : 0);
  }
  const std::vector<Task> tasks = split_into_tasks<T>(D, z.N);
  for (std::size_t i = 0; i < D; ++i) {
    dirs[i].step = step_operands(spec, z, dirs[i], &ops[i].tensors.weights);
    take_reused_backward_operands<T>(spec, z, ops[i].tensors, dirs[i]);
  }
  parallel_tasks(tasks.size(), [&](std::size_t i) {
    const Task& task = tasks[i];
    forward_rows<T>(spec, z, lengths, dirs[task.direction], out.data() + task.direction * segment, task.rows);
  });
  for (Direction<T>& d : dirs) d.step = {};

  auto backward = [=, dirs = std::move(dirs)](BackwardContext<T>& ctx) mutable {
    const bool gru_after = spec.kind == Kind::Gru && spec.reset_after;
    for (std::size_t i = 0; i < D; ++i) {
      Direction<T>& d = dirs[i];
      if (lengths.empty()) {
        d.h_entering = ctx.output().data() + i * segment + z.entering(d.reverse) * z.P;
        d.c_entering = d.c_new.data() + z.entering(d.reverse) * z.H;
      } else {
        d.h_prev = xt::xarray<T>::from_shape({z.L, z.N, z.P});
        d.c_prev = xt::xarray<T>::from_shape({z.lstm ? z.L : 0, z.N, z.H});
        d.h_entering = d.h_prev.data();
        d.c_entering = d.c_prev.data();
      }
      d.step = d.reused_backward.w ? d.reused_backward : step_operands<T>(spec, z, d, nullptr);
    }
    std::vector<DirectionGrads<T>> grads(D);
    for (std::size_t i = 0; i < D; ++i) {
      DirectionGrads<T>& r = grads[i];
      r.d_x = xt::xarray<T>::from_shape({z.L, z.N, z.G});
      r.d_gh = xt::xarray<T>::from_shape({gru_after ? z.L : 0, z.N, z.G});  // d (h W^T + b) when it differs
      r.d_h = xt::xarray<T>::from_shape({dirs[i].w_hr ? z.L : 0, z.N, z.P});
      r.dh = xt::xarray<T>::from_shape({z.N, z.P});
      r.dc = xt::xarray<T>::from_shape({z.lstm ? z.N : 0, z.H});
    }
    parallel_tasks(tasks.size(), [&](std::size_t i) {
      const Task& task = tasks[i];
      Direction<T>& d = dirs[task.direction];
      const T* y_all = ctx.output().data() + task.direction * segment + z.outputs();
      if (!lengths.empty())
        restore_entering_states<T>(z, lengths, d, y_all, ctx.input(d.slot0 + H0).data(),
                                   z.lstm ? ctx.input(d.slot0 + C0).data() : nullptr, task.rows);
      backward_rows<T>(spec, z, lengths, d, ctx.grad().data() + task.direction * segment, y_all,
                       grads[task.direction], task.rows);
    });
    // Last direction first: a layer input shared by both directions then gets its gradient in the
    // order the two separate linear nodes of an unfused projection would give it (the same bits).
    for (std::size_t i = D; i-- > 0;) accumulate_direction<T>(spec, z, ctx, dirs[i], std::move(grads[i]));
    for (Direction<T>& d : dirs) {  // until the next backward, if any
      d.h_prev = d.c_prev = xt::xarray<T>();
      d.step = {};
    }
  };
  return record<T>(op, std::move(out), inputs, std::move(backward));
}

/// The piece [offset, offset + numel(shape)) of a packed result, as a tensor of `shape`.
Tensor unpack(const Tensor& packed, std::size_t offset, const Shape& shape) {
  return visit_dtype(packed.dtype(), [&]<class T>() {
    xt::xarray<T> piece = xt::xarray<T>::from_shape(shape);
    const T* from = packed.data<T>().data() + offset;
    std::copy(from, from + piece.size(), piece.data());
    return record<T>("unpack", std::move(piece), {packed}, [offset](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& d_packed, bool fresh) {
        const xt::xarray<T>& g = ctx.grad();
        T* piece = d_packed.data() + offset;
        if (!fresh) return void(std::transform(g.begin(), g.end(), piece, piece, std::plus<T>()));
        std::fill(d_packed.data(), piece, T(0));  // the first piece back: the rest are zero until theirs come
        std::fill(piece + g.size(), d_packed.data() + d_packed.size(), T(0));
        std::transform(g.begin(), g.end(), piece, [](T v) { return T(0) + v; });  // as if added to zeros: -0 is +0
      });
    }, OutputUse::NotRead);
  });
}

SequenceOutput unpack_direction(const Tensor& packed, const SequenceSize& z, std::size_t direction) {
  const std::size_t at = direction * z.segment();
  return {unpack(packed, at + z.outputs(), {z.L, z.N, z.P}), unpack(packed, at + z.h_n(), {z.N, z.P}),
          z.lstm ? unpack(packed, at + z.c_n(), {z.N, z.H}) : Tensor()};
}

/// gates_x for one direction: as given, or x W_ih^T + b_ih computed here without a node (the op
/// gives x, weight_ih and bias_ih their gradients itself), so it lives only as long as the forward.
Tensor gates_of(const char* op, const SequenceOperands& v) {
  const CellWeights& w = v.weights;
  if (!v.x.defined()) {
    if (w.weight_ih.defined() || w.bias_ih.defined())
      fail<ValueError>("{}: weight_ih or bias_ih given without x; give x, or gates_x without them", op);
    return v.gates_x;
  }
  if (v.gates_x.defined()) fail<ValueError>("{}: give either gates_x or x with weight_ih, not both", op);
  detail::check_defined(op, w.weight_ih);
  if (v.x.dim() != 3) fail<ShapeError>("{}: x {} must be (seq, batch, input_size)", op, shape_str(v.x.shape()));
  NoGradGuard no_grad;
  return linear(v.x, w.weight_ih, w.bias_ih);
}

/// Checks one direction's operands and returns the sizes they give.
SequenceSize check_direction(const char* op, const CellSpec& spec, const SequenceOperands& v, const Tensor& gates_x) {
  const bool lstm = spec.kind == Kind::Lstm;
  const CellWeights& w = v.weights;
  const CellShape s = check_operands(op, spec.gates(), true, gates_x, v.h0, w.weight_hh, w.bias_hh);
  if (!lstm && (v.c0.defined() || w.weight_hr.defined()))
    fail<ValueError>("{}: got {}, which only an LSTM has", op, v.c0.defined() ? "c0" : "weight_hr");
  if (w.weight_hr.defined()) {
    detail::check_same_dtype(op, {v.h0, w.weight_hr});
    if (w.weight_hr.shape() != Shape{s.p, s.h})
      fail<ShapeError>("{}: weight_hr {} does not fit weight_hh {} (need ({}, {}): (proj_size, hidden_size))", op,
                       shape_str(w.weight_hr.shape()), shape_str(w.weight_hh.shape()), s.p, s.h);
  } else if (s.p != s.h) {
    fail<ShapeError>("{}: weight_hh {} must be ({} * hidden_size, hidden_size){}", op, shape_str(w.weight_hh.shape()),
                     spec.gates(), lstm ? ", or give weight_hr (proj_size, hidden_size) to project" : "");
  }
  if (lstm) {
    detail::check_defined(op, v.c0);
    detail::check_same_dtype(op, {v.h0, v.c0});
    if (v.c0.shape() != Shape{s.n, s.h})
      fail<ShapeError>("{}: c0 {} does not fit weight_hh {} (need ({}, {}))", op, shape_str(v.c0.shape()),
                       shape_str(w.weight_hh.shape()), s.n, s.h);
  }
  for (const auto& [name, clip] : {std::pair{"cell_clip", spec.cell_clip}, std::pair{"proj_clip", spec.proj_clip}})
    if (!(clip >= 0 && std::isfinite(clip)))
      fail<ValueError>("{}: {} = {} must be 0 (none) or a positive number", op, name, clip);
  if (spec.cell_clip > 0 && !lstm) fail<ValueError>("{}: cell_clip is for an LSTM only", op);
  if (spec.proj_clip > 0 && !w.weight_hr.defined())
    fail<ValueError>("{}: proj_clip clamps the projection, but there is no weight_hr", op);
  const std::size_t G = gates_x.shape()[2];
  return {gates_x.shape()[0], s.n, s.h, s.p, G, spec.kind == Kind::Rnn ? 0 : 4 * s.h, lstm};
}

/// The packed result of one or two directions; `op` names the node and every error.
Tensor sequence(const char* op, const CellSpec& spec, std::vector<DirectionOperands> ops,
                const std::vector<std::size_t>& lengths, SequenceSize& z) {
  for (DirectionOperands& o : ops) o.gates = gates_of(op, o.tensors);
  z = check_direction(op, spec, ops[0].tensors, ops[0].gates);
  for (std::size_t i = 1; i < ops.size(); ++i) {
    const SequenceOperands &a = ops[0].tensors, &b = ops[i].tensors;
    check_direction(op, spec, b, ops[i].gates);
    auto given = [](const Tensor& t) { return t.defined() ? "given" : "absent"; };
    if (ops[i].gates.shape() != ops[0].gates.shape() || b.weights.weight_hh.shape() != a.weights.weight_hh.shape() ||
        b.h0.dtype() != a.h0.dtype() || b.x.defined() != a.x.defined() ||
        b.weights.bias_hh.defined() != a.weights.bias_hh.defined() ||
        b.weights.bias_ih.defined() != a.weights.bias_ih.defined() ||
        b.weights.weight_hr.defined() != a.weights.weight_hr.defined())
      fail<ShapeError>("{}: the reverse direction's gates_x {}, weight_hh {}, bias_hh {} differ from the forward "
                       "one's {}, {}, {} (or its dtype, x, bias_ih or weight_hr does)",
                       op, shape_str(ops[i].gates.shape()), shape_str(b.weights.weight_hh.shape()),
                       given(b.weights.bias_hh), shape_str(ops[0].gates.shape()),
                       shape_str(a.weights.weight_hh.shape()), given(a.weights.bias_hh));
  }
  check_lengths(op, lengths, z.L, z.N);
  return visit_dtype(ops[0].tensors.h0.dtype(),
                     [&]<class T>() { return run_sequences<T>(op, spec, z, ops, lengths); });
}

}  // namespace

SequenceOutput recurrent_sequence(const CellSpec& spec, const SequenceOperands& operands,
                                  const std::vector<std::size_t>& lengths, bool reverse) {
  static const char* names[] = {"rnn_sequence", "lstm_sequence", "gru_sequence"};
  SequenceSize z{};
  const Tensor packed = sequence(names[static_cast<int>(spec.kind)], spec, {{operands, reverse}}, lengths, z);
  return unpack_direction(packed, z, 0);
}

std::array<SequenceOutput, 2> recurrent_sequence(const CellSpec& spec, const SequenceOperands& forward,
                                                 const SequenceOperands& reverse,
                                                 const std::vector<std::size_t>& lengths) {
  static const char* names[] = {"rnn_bidirectional", "lstm_bidirectional", "gru_bidirectional"};
  SequenceSize z{};
  const Tensor packed =
      sequence(names[static_cast<int>(spec.kind)], spec, {{forward, false}, {reverse, true}}, lengths, z);
  return {unpack_direction(packed, z, 0), unpack_direction(packed, z, 1)};
}

}  // namespace tg
