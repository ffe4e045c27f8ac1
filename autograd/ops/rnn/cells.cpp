// Fused recurrent steps (see recurrent.hpp). Forward: the recurrent product
// gh = h W_hh^T + b_hh by one GEMM into a gate buffer, then one loop for the gates and the state
// update, which leaves the activated gates in that buffer for backward. Backward: one loop turns the
// output gradient into the gate pre-activations' gradient dA, then the same GEMM shapes give
// dh = dA W_hh, dW_hh = dA^T h, db_hh = sum_rows dA, and d gates_x = dA.
#include "autograd/ops/common.hpp"
#include "autograd/ops/rnn/kernels.hpp"

namespace tg {


namespace {

using namespace detail::rnn;

CellShape check_cell(const char* op, std::size_t gates, const Tensor& gates_x, const Tensor& h,
                     const Tensor& weight_hh, const Tensor& bias_hh) {
  return check_operands(op, gates, false, gates_x, h, weight_hh, bias_hh);
}

}  // namespace

// h' = act(a), a = gx + h W^T + b;  da = dh' * act'(h');  dgx = da, dh = da W, dW = da^T h, db = sum da
Tensor rnn_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                RnnNonlinearity nonlinearity) {
  const CellShape s = check_cell("rnn_cell", 1, gates_x, h, weight_hh, bias_hh);
  if (s.p != s.h) fail<ShapeError>("rnn_cell: weight_hh {} must be square", shape_str(weight_hh.shape()));
  const bool relu = nonlinearity == RnnNonlinearity::Relu;
  return visit_dtype(h.dtype(), [&]<class T>() {
    xt::xarray<T> out = xt::xarray<T>::from_shape({s.n, s.h});
    const T *hd = h.data<T>().data(), *w = weight_hh.data<T>().data(), *b = data_or_null<T>(bias_hh);
    const T* gx = gates_x.data<T>().data();
    for_row_ranges<T>(s.n, [&](Rows r) {
      T* y = out.data() + r.begin * s.h;
      recurrent_product<T>(r.count(), s.p, hd + r.begin * s.p, s.p, w, b, 0, s.h, y, s.h);
      rnn_forward<T>(r.count() * s.h, gx + r.begin * s.h, y, relu);
    });
    auto backward = [s, relu](BackwardContext<T>& ctx) {
      xt::xarray<T> d_a = xt::xarray<T>::from_shape({s.n, s.h});
      rnn_backward<T>(d_a.size(), ctx.output().data(), ctx.grad().data(), d_a.data(), relu);
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        for_row_ranges<T>(s.n, [&](Rows r) {
          recurrent_input_grad<T>(r.count(), d_a.data() + r.begin * s.h, s.h, ctx.input(2).data(), s.p, 0, s.h,
                                  dh.data() + r.begin * s.p, fresh);
        });
      });
      detail::accumulate_weight_grads<T>(ctx, 2, s.n, d_a.data(), s.h, s.p, {{0, s.h, ctx.input(1).data(), s.p}});
      ctx.accumulate(0, std::move(d_a));
    };
    return record<T>("rnn_cell", std::move(out), {gates_x, h, weight_hh, bias_hh}, std::move(backward));
  });
}

// a = gx + h W^T + b;  i, f, g, o = sig, sig, tanh, sig (a);  c' = f c + i g;  y = o tanh(c')
// dc' = dc'_out + dy o (1 - tanh^2 c');  da_i = dc' g i(1-i), da_f = dc' c f(1-f),
// da_g = dc' i (1-g^2), da_o = dy tanh(c') o(1-o);  dc = dc' f;  dh, dW, db, dgx from da as in rnn_cell
Tensor lstm_cell(const Tensor& gates_x, const Tensor& h, const Tensor& c, const Tensor& weight_hh,
                 const Tensor& bias_hh) {
  const CellShape s = check_cell("lstm_cell", 4, gates_x, h, weight_hh, bias_hh);
  detail::check_defined("lstm_cell", c);
  detail::check_same_dtype("lstm_cell", {h, c});
  if (c.dim() != 2 || c.shape()[0] != s.n || c.shape()[1] != s.h)
    fail<ShapeError>("lstm_cell: c {} does not fit weight_hh {} (need ({}, {}))", shape_str(c.shape()),
                     shape_str(weight_hh.shape()), s.n, s.h);
  return visit_dtype(h.dtype(), [&]<class T>() {
    const std::size_t H = s.h, G = 4 * H;
    xt::xarray<T> acts = xt::xarray<T>::from_shape({s.n, G});
    xt::xarray<T> out = xt::xarray<T>::from_shape({2, s.n, H});
    const T *hd = h.data<T>().data(), *w = weight_hh.data<T>().data(), *b = data_or_null<T>(bias_hh);
    const T *gx = gates_x.data<T>().data(), *cd = c.data<T>().data();
    for_row_ranges<T>(s.n, [&](Rows r) {
      T* a = acts.data() + r.begin * G;
      recurrent_product<T>(r.count(), s.p, hd + r.begin * s.p, s.p, w, b, 0, G, a, G);
      lstm_forward<T>(r.count(), H, gx + r.begin * G, a, cd + r.begin * H, out.data() + r.begin * H,
                      out.data() + (s.n + r.begin) * H);
    });
    auto backward = [s, acts = std::move(acts)](BackwardContext<T>& ctx) {
      const std::size_t H = s.h, G = 4 * H, NH = s.n * H;
      const T* dy = ctx.grad().data();
      xt::xarray<T> d_a = xt::xarray<T>::from_shape({s.n, G});
      xt::xarray<T> dc_prev = xt::xarray<T>::from_shape({ctx.needs_grad(2) ? s.n : 0, H});
      for_row_ranges<T>(s.n, [&](Rows r) {
        const std::size_t k = r.begin * H;
        lstm_backward<T>(r.count(), H, acts.data() + r.begin * G, ctx.input(2).data() + k,
                         ctx.output().data() + NH + k, dy + k, dy + NH + k, d_a.data() + r.begin * G,
                         dc_prev.size() ? dc_prev.data() + k : nullptr);
      });
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        for_row_ranges<T>(s.n, [&](Rows r) {
          recurrent_input_grad<T>(r.count(), d_a.data() + r.begin * G, G, ctx.input(3).data(), s.p, 0, G,
                                  dh.data() + r.begin * s.p, fresh);
        });
      });
      detail::accumulate_weight_grads<T>(ctx, 3, s.n, d_a.data(), G, s.p, {{0, G, ctx.input(1).data(), s.p}});
      if (dc_prev.size()) ctx.accumulate(2, std::move(dc_prev));
      ctx.accumulate(0, std::move(d_a));
    };
    return record<T>("lstm_cell", std::move(out), {gates_x, h, c, weight_hh, bias_hh}, std::move(backward));
  });
}

// r = sig(x_r + gh_r), z = sig(x_z + gh_z), n = tanh(x_n + r gh_n) [reset_after] or
// tanh(x_n + (r h) W_n^T + b_n) [paper];  h' = (1 - z) n + z h
// dn = dh' (1-z), dz = dh' (h - n), da_n = dn (1-n^2), da_z = dz z(1-z);
// reset_after: dgh_n = da_n r, dr = da_n gh_n;   paper: d(rh) = da_n W_n, dr = d(rh) h, dh += d(rh) r;
// da_r = dr r(1-r);  dh += dh' z + dA W (over the rows fed by h)
Tensor gru_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                bool reset_after) {
  const CellShape s = check_cell("gru_cell", 3, gates_x, h, weight_hh, bias_hh);
  if (s.p != s.h)
    fail<ShapeError>("gru_cell: weight_hh {} must be (3 * hidden_size, hidden_size)", shape_str(weight_hh.shape()));
  return visit_dtype(h.dtype(), [&]<class T>() {
    const std::size_t H = s.h;
    xt::xarray<T> acts = xt::xarray<T>::from_shape({s.n, 4 * H});
    xt::xarray<T> out = xt::xarray<T>::from_shape({s.n, H});
    const T *hd = h.data<T>().data(), *w = weight_hh.data<T>().data(), *b = data_or_null<T>(bias_hh);
    const T* gx = gates_x.data<T>().data();
    for_row_ranges<T>(s.n, [&](Rows r) {
      gru_forward<T>(r.count(), H, hd + r.begin * H, w, b, gx + r.begin * 3 * H, acts.data() + r.begin * 4 * H,
                     out.data() + r.begin * H, reset_after);
    });
    auto backward = [s, reset_after, acts = std::move(acts)](BackwardContext<T>& ctx) {
      const std::size_t H = s.h;
      const T* dy = ctx.grad().data();
      const T* hp = ctx.input(1).data();
      const T* w = ctx.input(2).data();
      xt::xarray<T> d_x = xt::xarray<T>::from_shape({s.n, 3 * H});  // d gates_x
      xt::xarray<T> d_gh = xt::xarray<T>::from_shape({reset_after ? s.n : 0, 3 * H});
      xt::xarray<T> d_rh = xt::xarray<T>::from_shape({reset_after ? 0 : s.n, H});
      // Row r of a buffer of rows of `width`; the empty d_gh or d_rh of the other form stays null.
      auto row = [](xt::xarray<T>& buffer, std::size_t r, std::size_t width) {
        return buffer.size() ? buffer.data() + r * width : nullptr;
      };
      for_row_ranges<T>(s.n, [&](Rows r) {
        gru_gate_grads<T>(r.count(), H, hp + r.begin * H, w, acts.data() + r.begin * 4 * H, dy + r.begin * H,
                          row(d_x, r.begin, 3 * H), row(d_gh, r.begin, 3 * H), row(d_rh, r.begin, H), reset_after);
      });
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        for_row_ranges<T>(s.n, [&](Rows r) {
          gru_state_grad<T>(r.count(), H, w, acts.data() + r.begin * 4 * H, dy + r.begin * H, row(d_x, r.begin, 3 * H),
                            row(d_gh, r.begin, 3 * H), row(d_rh, r.begin, H), dh.data() + r.begin * H, fresh,
                            reset_after);
        });
      });
      if (reset_after)
        detail::accumulate_weight_grads<T>(ctx, 2, s.n, d_gh.data(), 3 * H, H, {{0, 3 * H, hp, H}});
      else
        detail::accumulate_weight_grads<T>(ctx, 2, s.n, d_x.data(), 3 * H, H,
                                           {{0, 2 * H, hp, H}, {2 * H, H, acts.data() + 3 * H, 4 * H}});
      ctx.accumulate(0, std::move(d_x));
    };
    return record<T>("gru_cell", std::move(out), {gates_x, h, weight_hh, bias_hh}, std::move(backward));
  });
}

RecurrentState recurrent_step(const CellSpec& spec, const CellWeights& w, const Tensor& gates_x,
                              const RecurrentState& state) {
  switch (spec.kind) {
    case CellSpec::Kind::Rnn:
      return {rnn_cell(gates_x, state.h, w.weight_hh, w.bias_hh, spec.nonlinearity), Tensor()};
    case CellSpec::Kind::Gru:
      return {gru_cell(gates_x, state.h, w.weight_hh, w.bias_hh, spec.reset_after), Tensor()};
    case CellSpec::Kind::Lstm: {
      if (spec.cell_clip != 0)
        fail<ValueError>("recurrent_step: cell_clip {} clamps c' before y = o tanh(c'), inside the cell; run the "
                         "sequence with recurrent_sequence, which does",
                         spec.cell_clip);
      Tensor yc = lstm_cell(gates_x, state.h, state.c, w.weight_hh, w.bias_hh);  // (2, N, H): y, c'
      Tensor h = select(yc, 0, 0);
      if (w.weight_hr.defined()) h = linear(h, w.weight_hr);
      if (spec.proj_clip != 0) h = clamp(h, -spec.proj_clip, spec.proj_clip);
      return {h, select(yc, 0, 1)};
    }
  }
  return {};
}

}  // namespace tg
