// Fused recurrent steps (see autograd/rnn_ops.hpp). Forward: the recurrent product
// gh = h W_hh^T + b_hh by one GEMM into a gate buffer, then one loop for the gates and the state
// update, which leaves the activated gates in that buffer for backward. Backward: one loop turns the
// output gradient into the gate pre-activations' gradient dA, then the same GEMM shapes give
// dh = dA W_hh, dW_hh = dA^T h, db_hh = sum_rows dA, and d gates_x = dA.
#include "autograd/rnn_ops.hpp"

#include "autograd/ops/blas.hpp"
#include "autograd/ops/common.hpp"

#include <cmath>

namespace tg {

namespace {

using detail::gemm;

/// N rows, H units per gate, P columns of W_hh (the recurrent input's width).
struct CellShape {
  std::size_t n, h, p;
};

CellShape check_cell(const char* op, std::size_t gates, const Tensor& gates_x, const Tensor& h,
                     const Tensor& weight_hh, const Tensor& bias_hh) {
  for (const Tensor* t : {&gates_x, &h, &weight_hh}) detail::check_defined(op, *t);
  if (bias_hh.defined()) detail::check_same_dtype(op, {gates_x, h, weight_hh, bias_hh});
  else detail::check_same_dtype(op, {gates_x, h, weight_hh});
  const Shape& sw = weight_hh.shape();
  if (sw.size() != 2 || sw[0] % gates != 0 || sw[0] == 0)
    fail<ShapeError>("{}: weight_hh {} must be ({} * hidden_size, recurrent_size)", op, shape_str(sw), gates);
  const CellShape s{gates_x.dim() == 2 ? gates_x.shape()[0] : 0, sw[0] / gates, sw[1]};
  if (gates_x.dim() != 2 || gates_x.shape()[1] != sw[0])
    fail<ShapeError>("{}: gates_x {} does not fit weight_hh {} (need (batch, {}))", op, shape_str(gates_x.shape()),
                     shape_str(sw), sw[0]);
  if (h.dim() != 2 || h.shape()[0] != s.n || h.shape()[1] != s.p)
    fail<ShapeError>("{}: h {} does not fit gates_x {} and weight_hh {} (need ({}, {}))", op, shape_str(h.shape()),
                     shape_str(gates_x.shape()), shape_str(sw), s.n, s.p);
  if (bias_hh.defined() && (bias_hh.dim() != 1 || bias_hh.shape()[0] != sw[0]))
    fail<ShapeError>("{}: bias_hh {} does not fit weight_hh {} (need ({}))", op, shape_str(bias_hh.shape()),
                     shape_str(sw), sw[0]);
  return s;
}

template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

/// out[:, row0:row0+rows] = in W[row0:row0+rows]^T + b[row0:row0+rows], for n rows of `in` (stride ld_in)
/// and `out` (stride ld_out); W is (*, p). A null b adds nothing.
template <class T>
void recurrent_product(std::size_t n, std::size_t p, const T* in, std::size_t ld_in, const T* w, const T* b,
                       std::size_t row0, std::size_t rows, T* out, std::size_t ld_out) {
  if (b)
    for (std::size_t r = 0; r < n; ++r) std::copy(b + row0, b + row0 + rows, out + r * ld_out + row0);
  gemm<T>(false, true, n, rows, p, 1, in, ld_in, w + row0 * p, p, b ? 1 : 0, out + row0, ld_out);
}

/// One block of gate rows of W_hh and the recurrent input it multiplied (h, or r * h in the paper GRU).
template <class T>
struct GateBlock {
  std::size_t row0, rows;
  const T* in;
  std::size_t ld_in;
};

/// dW_hh[block] += dA[:, block]^T in_block and db_hh += sum_rows dA, for blocks that together cover
/// every row of W_hh. W_hh is input `w_index`; the bias, when the node has one, comes right after it.
template <class T>
void accumulate_weight_grads(const BackwardContext<T>& ctx, std::size_t w_index, const xt::xarray<T>& d_a,
                             std::size_t p, std::initializer_list<GateBlock<T>> blocks) {
  const std::size_t n = d_a.shape()[0], ld = d_a.shape()[1];
  ctx.accumulate_into(w_index, [&](xt::xarray<T>& dw, bool fresh) {
    for (const GateBlock<T>& blk : blocks)
      gemm<T>(true, false, blk.rows, p, n, 1, d_a.data() + blk.row0, ld, blk.in, blk.ld_in, fresh ? 0 : 1,
              dw.data() + blk.row0 * p, p);
  });
  if (ctx.node().inputs.size() <= w_index + 1) return;
  ctx.accumulate_into(w_index + 1, [&](xt::xarray<T>& db, bool fresh) {
    if (fresh) std::fill(db.begin(), db.end(), T(0));
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t j = 0; j < ld; ++j) db.data()[j] += d_a.data()[r * ld + j];
  });
}

/// dh (fresh: =, else +=) dA[:, row0:row0+rows] W_hh[row0:row0+rows].
template <class T>
void recurrent_input_grad(const xt::xarray<T>& d_a, const T* w, std::size_t p, std::size_t row0, std::size_t rows,
                          T* dh, bool fresh) {
  const std::size_t n = d_a.shape()[0], ld = d_a.shape()[1];
  gemm<T>(false, false, n, p, rows, 1, d_a.data() + row0, ld, w + row0 * p, p, fresh ? 0 : 1, dh, p);
}

template <class T>
const T* bias_data(const Tensor& bias) {
  return bias.defined() ? bias.data<T>().data() : nullptr;
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
    recurrent_product<T>(s.n, s.p, h.data<T>().data(), s.p, weight_hh.data<T>().data(), bias_data<T>(bias_hh), 0,
                         s.h, out.data(), s.h);
    const T* gx = gates_x.data<T>().data();
    for (std::size_t k = 0; k < out.size(); ++k) {
      const T a = out.data()[k] + gx[k];
      out.data()[k] = relu ? std::max(a, T(0)) : std::tanh(a);
    }
    auto backward = [s, relu](BackwardContext<T>& ctx) {
      const xt::xarray<T>& y = ctx.output();
      xt::xarray<T> d_a = relu ? xt::xarray<T>(ctx.grad() * xt::cast<T>(y > T(0)))
                               : xt::xarray<T>(ctx.grad() * (T(1) - y * y));
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        recurrent_input_grad<T>(d_a, ctx.input(2).data(), s.p, 0, s.h, dh.data(), fresh);
      });
      accumulate_weight_grads<T>(ctx, 2, d_a, s.p, {{0, s.h, ctx.input(1).data(), s.p}});
      ctx.accumulate(0, std::move(d_a));
    };
    // The optional bias_hh, when given, is the last input.
    if (bias_hh.defined())
      return record<T>("rnn_cell", std::move(out), {gates_x, h, weight_hh, bias_hh}, std::move(backward));
    return record<T>("rnn_cell", std::move(out), {gates_x, h, weight_hh}, std::move(backward));
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
    recurrent_product<T>(s.n, s.p, h.data<T>().data(), s.p, weight_hh.data<T>().data(), bias_data<T>(bias_hh), 0,
                         G, acts.data(), G);
    xt::xarray<T> out = xt::xarray<T>::from_shape({2, s.n, H});
    T* y = out.data();
    T* c_new = out.data() + s.n * H;
    const T* gx = gates_x.data<T>().data();
    const T* c_old = c.data<T>().data();
    for (std::size_t r = 0; r < s.n; ++r) {
      T* a = acts.data() + r * G;
      const T* x = gx + r * G;
      for (std::size_t j = 0; j < H; ++j) {
        const T i = sigmoid(a[j] + x[j]), f = sigmoid(a[H + j] + x[H + j]);
        const T g = std::tanh(a[2 * H + j] + x[2 * H + j]), o = sigmoid(a[3 * H + j] + x[3 * H + j]);
        a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
        const T cn = f * c_old[r * H + j] + i * g;
        c_new[r * H + j] = cn;
        y[r * H + j] = o * std::tanh(cn);
      }
    }
    auto backward = [s, acts = std::move(acts)](BackwardContext<T>& ctx) {
      const std::size_t H = s.h, G = 4 * H, NH = s.n * H;
      const T* dy = ctx.grad().data();
      const T* dc_out = dy + NH;
      const T* c_new = ctx.output().data() + NH;
      const T* c_old = ctx.input(2).data();
      xt::xarray<T> d_a = xt::xarray<T>::from_shape({s.n, G});
      xt::xarray<T> dc_prev = xt::xarray<T>::from_shape({ctx.needs_grad(2) ? s.n : 0, H});
      for (std::size_t r = 0; r < s.n; ++r) {
        const T* a = acts.data() + r * G;
        T* da = d_a.data() + r * G;
        for (std::size_t j = 0, k = r * H; j < H; ++j, ++k) {
          const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
          const T tc = std::tanh(c_new[k]);
          const T dc = dc_out[k] + dy[k] * o * (1 - tc * tc);
          da[j] = dc * g * i * (1 - i);
          da[H + j] = dc * c_old[k] * f * (1 - f);
          da[2 * H + j] = dc * i * (1 - g * g);
          da[3 * H + j] = dy[k] * tc * o * (1 - o);
          if (dc_prev.size()) dc_prev.data()[k] = dc * f;
        }
      }
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        recurrent_input_grad<T>(d_a, ctx.input(3).data(), s.p, 0, G, dh.data(), fresh);
      });
      accumulate_weight_grads<T>(ctx, 3, d_a, s.p, {{0, G, ctx.input(1).data(), s.p}});
      if (dc_prev.size()) ctx.accumulate(2, std::move(dc_prev));
      ctx.accumulate(0, std::move(d_a));
    };
    // The optional bias_hh, when given, is the last input.
    if (bias_hh.defined())
      return record<T>("lstm_cell", std::move(out), {gates_x, h, c, weight_hh, bias_hh}, std::move(backward));
    return record<T>("lstm_cell", std::move(out), {gates_x, h, c, weight_hh}, std::move(backward));
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
    // acts holds, per row: r, z, n and a fourth block `extra` = gh_n (reset_after) or r * h (paper).
    const std::size_t H = s.h, L = 4 * H;
    const T* hp = h.data<T>().data();
    const T* w = weight_hh.data<T>().data();
    const T* b = bias_data<T>(bias_hh);
    const T* gx = gates_x.data<T>().data();
    xt::xarray<T> acts = xt::xarray<T>::from_shape({s.n, L});
    recurrent_product<T>(s.n, H, hp, H, w, b, 0, reset_after ? 3 * H : 2 * H, acts.data(), L);
    for (std::size_t r = 0; r < s.n; ++r) {
      T* a = acts.data() + r * L;
      const T* x = gx + r * 3 * H;
      for (std::size_t j = 0; j < H; ++j) {
        a[j] = sigmoid(a[j] + x[j]);
        a[H + j] = sigmoid(a[H + j] + x[H + j]);
        a[3 * H + j] = reset_after ? a[2 * H + j] : a[j] * hp[r * H + j];
      }
    }
    if (!reset_after) recurrent_product<T>(s.n, H, acts.data() + 3 * H, L, w, b, 2 * H, H, acts.data(), L);
    xt::xarray<T> out = xt::xarray<T>::from_shape({s.n, H});
    for (std::size_t r = 0; r < s.n; ++r) {
      T* a = acts.data() + r * L;
      const T* x = gx + r * 3 * H;
      for (std::size_t j = 0, k = r * H; j < H; ++j, ++k) {
        const T n = std::tanh(x[2 * H + j] + (reset_after ? a[j] * a[3 * H + j] : a[2 * H + j]));
        a[2 * H + j] = n;
        out.data()[k] = (1 - a[H + j]) * n + a[H + j] * hp[k];
      }
    }
    auto backward = [s, reset_after, acts = std::move(acts)](BackwardContext<T>& ctx) {
      const std::size_t H = s.h, L = 4 * H;
      const T* dy = ctx.grad().data();
      const T* hp = ctx.input(1).data();
      const T* w = ctx.input(2).data();
      xt::xarray<T> d_x = xt::xarray<T>::from_shape({s.n, 3 * H});  // d gates_x
      for (std::size_t r = 0; r < s.n; ++r) {
        const T* a = acts.data() + r * L;
        T* dx = d_x.data() + r * 3 * H;
        for (std::size_t j = 0, k = r * H; j < H; ++j, ++k) {
          const T z = a[H + j], n = a[2 * H + j];
          dx[H + j] = dy[k] * (hp[k] - n) * z * (1 - z);
          dx[2 * H + j] = dy[k] * (1 - z) * (1 - n * n);
        }
      }
      // The reset gate's gradient and the gradient of the recurrent product differ between forms.
      xt::xarray<T> d_rh;  // paper form: d (r * h)
      xt::xarray<T> d_gh;  // reset_after: d (h W^T + b), which differs from d_x in the n block
      if (reset_after) {
        d_gh = d_x;
        for (std::size_t r = 0; r < s.n; ++r) {
          const T* a = acts.data() + r * L;
          T* dx = d_x.data() + r * 3 * H;
          T* dg = d_gh.data() + r * 3 * H;
          for (std::size_t j = 0; j < H; ++j) {
            const T rr = a[j];
            dg[2 * H + j] = dx[2 * H + j] * rr;
            dx[j] = dg[j] = dx[2 * H + j] * a[3 * H + j] * rr * (1 - rr);
          }
        }
      } else {
        d_rh = xt::xarray<T>::from_shape({s.n, H});
        gemm<T>(false, false, s.n, H, H, 1, d_x.data() + 2 * H, 3 * H, w + 2 * H * H, H, 0, d_rh.data(), H);
        for (std::size_t r = 0; r < s.n; ++r) {
          const T* a = acts.data() + r * L;
          for (std::size_t j = 0, k = r * H; j < H; ++j, ++k)
            d_x.data()[r * 3 * H + j] = d_rh.data()[k] * hp[k] * a[j] * (1 - a[j]);
        }
      }
      const xt::xarray<T>& d_a = reset_after ? d_gh : d_x;
      ctx.accumulate_into(1, [&](xt::xarray<T>& dh, bool fresh) {
        recurrent_input_grad<T>(d_a, w, H, 0, reset_after ? 3 * H : 2 * H, dh.data(), fresh);
        for (std::size_t r = 0; r < s.n; ++r) {
          const T* a = acts.data() + r * L;
          for (std::size_t j = 0, k = r * H; j < H; ++j, ++k)
            dh.data()[k] += dy[k] * a[H + j] + (reset_after ? T(0) : d_rh.data()[k] * a[j]);
        }
      });
      if (reset_after)
        accumulate_weight_grads<T>(ctx, 2, d_a, H, {{0, 3 * H, hp, H}});
      else
        accumulate_weight_grads<T>(ctx, 2, d_a, H, {{0, 2 * H, hp, H}, {2 * H, H, acts.data() + 3 * H, L}});
      ctx.accumulate(0, std::move(d_x));
    };
    // The optional bias_hh, when given, is the last input.
    if (bias_hh.defined())
      return record<T>("gru_cell", std::move(out), {gates_x, h, weight_hh, bias_hh}, std::move(backward));
    return record<T>("gru_cell", std::move(out), {gates_x, h, weight_hh}, std::move(backward));
  });
}

}  // namespace tg
