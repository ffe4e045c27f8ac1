// 1-D convolution as one GEMM over an im2col matrix, forward and backward; and its maximum over
// time, computed a few sequences at a time so that the whole convolution is never held.
#include "autograd/ops/blas.hpp"
#include "autograd/ops/common.hpp"
#include "autograd/threads.hpp"

#include <cmath>
#include <cstdint>

namespace tg {

namespace {

struct ConvGeometry {
  std::size_t batch, in_channels, length, out_channels, kernel, stride, padding, out_length;
  std::size_t rows() const { return batch * out_length; }      // im2col rows: (n, t)
  std::size_t cols() const { return in_channels * kernel; }    // im2col columns: (c, k)
  /// The input position read by output step t at kernel tap k, or -1 in the zero padding.
  long source(std::size_t t, std::size_t k) const {
    const long pos = static_cast<long>(t * stride + k) - static_cast<long>(padding);
    return pos >= 0 && pos < static_cast<long>(length) ? pos : -1;
  }
};

ConvGeometry check_conv1d(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                          std::size_t stride, std::size_t padding) {
  if (bias.defined()) detail::check_same_dtype(op, {x, weight, bias});
  else detail::check_same_dtype(op, {x, weight});
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sx.size() != 3 || sw.size() != 3 || sx[1] != sw[1])
    fail<ShapeError>("{}: input {} does not fit weight {} (need input (N, C_in, L) and weight (C_out, C_in, K))",
                     op, shape_str(sx), shape_str(sw));
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != sw[0]))
    fail<ShapeError>("{}: bias {} does not fit weight {} (need bias ({}))", op, shape_str(bias.shape()),
                     shape_str(sw), sw[0]);
  if (stride == 0) fail<ValueError>("{}: stride must be positive", op);
  if (sw[2] == 0 || sx[2] + 2 * padding < sw[2])
    fail<ShapeError>("{}: kernel size {} does not fit input length {} with padding {}", op, sw[2], sx[2], padding);
  return {sx[0], sx[1], sx[2], sw[0], sw[2], stride, padding, (sx[2] + 2 * padding - sw[2]) / stride + 1};
}

/// cols[(n - begin, t), (c, k)] = x[n, c, t * stride + k - padding] (0 in the padding), for the
/// sequences n in [begin, end).
template <class T>
void im2col_into(const T* x, const ConvGeometry& g, std::size_t begin, std::size_t end, T* out) {
  for (std::size_t n = begin; n < end; ++n)
    for (std::size_t t = 0; t < g.out_length; ++t, out += g.cols())
      for (std::size_t c = 0; c < g.in_channels; ++c)
        for (std::size_t k = 0; k < g.kernel; ++k) {
          const long pos = g.source(t, k);
          out[c * g.kernel + k] = pos >= 0 ? x[(n * g.in_channels + c) * g.length + pos] : T(0);
        }
}

/// The whole batch's im2col matrix, (N * L_out, C_in * K).
template <class T>
xt::xarray<T> im2col(const T* x, const ConvGeometry& g) {
  xt::xarray<T> cols = xt::xarray<T>::from_shape({g.rows(), g.cols()});
  im2col_into(x, g, 0, g.batch, cols.data());
  return cols;
}

/// The adjoint of im2col: dx[n, c, t * stride + k - padding] += dcols[(n, t), (c, k)].
template <class T>
void col2im_add(const T* dcols, const ConvGeometry& g, T* dx) {
  for (std::size_t n = 0; n < g.batch; ++n)
    for (std::size_t t = 0; t < g.out_length; ++t, dcols += g.cols())
      for (std::size_t c = 0; c < g.in_channels; ++c)
        for (std::size_t k = 0; k < g.kernel; ++k)
          if (const long pos = g.source(t, k); pos >= 0) dx[(n * g.in_channels + c) * g.length + pos] += dcols[c * g.kernel + k];
}

/// f(i, j) for each tap of filter o's window at output step t over sequence n that reads the input
/// (not the zero padding): i indexes x (N, C_in, L), j the weight (C_out, C_in, K).
template <class F>
void window_taps(const ConvGeometry& g, std::size_t n, std::size_t o, std::size_t t, F&& f) {
  for (std::size_t c = 0; c < g.in_channels; ++c)
    for (std::size_t k = 0; k < g.kernel; ++k)
      if (const long pos = g.source(t, k); pos >= 0)
        f((n * g.in_channels + c) * g.length + static_cast<std::size_t>(pos), (o * g.in_channels + c) * g.kernel + k);
}

/// body(begin, end) over ranges that cover [0, n): detail::kMaxPieces of them at the same time when
/// n holds at least two of `least`, else one. The ranges depend on n only, never on the thread count,
/// so neither do the bits (parallel_tasks keeps each range's products on its own core).
template <class Body>
void for_pieces(std::size_t n, std::size_t least, Body&& body) {
  const std::size_t pieces = n >= 2 * least ? detail::kMaxPieces : 1, step = (n + pieces - 1) / pieces;
  parallel_tasks(pieces, [&](std::size_t p) { body(p * step, std::min(n, (p + 1) * step)); });
}

}  // namespace

// Y[(n,t), o] = cols[(n,t), :] . W[o, :] + b[o], then laid out as (N, C_out, L_out);
// dW = dY^T cols, dcols = dY W -> dx by col2im, db = sum over (n, t) of dY.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::size_t stride, std::size_t padding) {
  const ConvGeometry g = check_conv1d("conv1d", x, weight, bias, stride, padding);
  return visit_dtype(x.dtype(), [&]<class T>() {
    const xt::xarray<T> cols = im2col(x.data<T>().data(), g);
    xt::xarray<T> rows_out = xt::xarray<T>::from_shape({g.rows(), g.out_channels});
    detail::gemm<T>(false, true, g.rows(), g.out_channels, g.cols(), 1, cols.data(), g.cols(),
                    weight.data<T>().data(), g.cols(), 0, rows_out.data(), g.out_channels);
    rows_out.reshape({g.batch, g.out_length, g.out_channels});
    xt::xarray<T> y = xt::transpose(rows_out, {0, 2, 1});
    if (bias.defined()) y += xt::view(bias.data<T>(), xt::newaxis(), xt::all(), xt::newaxis());

    auto backward = [g](BackwardContext<T>& ctx) {
      // dY back into im2col row layout: (N, C_out, L_out) -> (N * L_out, C_out).
      const xt::xarray<T> dy = xt::transpose(ctx.grad(), {0, 2, 1});
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        xt::xarray<T> dcols = xt::xarray<T>::from_shape({g.rows(), g.cols()});
        detail::gemm<T>(false, false, g.rows(), g.cols(), g.out_channels, 1, dy.data(), g.out_channels,
                        ctx.input(1).data(), g.cols(), 0, dcols.data(), g.cols());
        if (fresh) dx.fill(T(0));
        col2im_add(dcols.data(), g, dx.data());
      });
      ctx.accumulate_into(1, [&](xt::xarray<T>& dw, bool fresh) {
        const xt::xarray<T> cols = im2col(ctx.input(0).data(), g);
        detail::gemm<T>(true, false, g.out_channels, g.cols(), g.rows(), 1, dy.data(), g.out_channels, cols.data(),
                        g.cols(), fresh ? 0 : 1, dw.data(), g.cols());
      });
      if (ctx.needs_grad(2)) ctx.accumulate(2, xt::xarray<T>(xt::sum(ctx.grad(), {0, 2})));
    };
    return record<T>("conv1d", std::move(y), {x, weight, bias}, backward, OutputUse::NotRead);
  });
}

// y[n, o] = max over t of (cols[(n, t), :] . W[o, :]) + b[o], taken a few sequences at a time, with
// t*[n, o] the first t that attains it (a NaN counts as the maximum, as in max). The backward sends
// dy[n, o] to that one window: dW[o, :] += dy[n, o] cols[(n, t*), :], the same window of dx gets
// dy[n, o] W[o, :], db = sum over n of dy.
Tensor conv1d_max_over_time(const Tensor& x, const Tensor& weight, const Tensor& bias, std::size_t stride,
                            std::size_t padding) {
  const ConvGeometry g = check_conv1d("conv1d_max_over_time", x, weight, bias, stride, padding);
  return visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>().data();
    const T* pw = weight.data<T>().data();
    const std::size_t outs = g.out_channels;
    xt::xarray<T> y = xt::xarray<T>::from_shape({g.batch, outs});
    auto winners = std::make_shared<std::vector<std::uint32_t>>(g.batch * outs);
    // About this many im2col rows per product: its output (rows x C_out) then stays in cache.
    const std::size_t per_product = std::max<std::size_t>(1, 256 / g.out_length);
    for_pieces(g.batch, per_product, [&](std::size_t begin, std::size_t end) {
      std::vector<T> cols(per_product * g.out_length * g.cols()), out(per_product * g.out_length * outs);
      for (std::size_t n0 = begin; n0 < end; n0 += per_product) {
        const std::size_t n1 = std::min(end, n0 + per_product);
        im2col_into(px, g, n0, n1, cols.data());
        detail::gemm<T>(false, true, (n1 - n0) * g.out_length, outs, g.cols(), 1, cols.data(), g.cols(), pw, g.cols(),
                        0, out.data(), outs);
        for (std::size_t n = n0; n < n1; ++n) {
          const T* rows = out.data() + (n - n0) * g.out_length * outs;
          T* best = y.data() + n * outs;
          std::uint32_t* at = winners->data() + n * outs;
          std::copy(rows, rows + outs, best);
          std::fill(at, at + outs, 0);
          for (std::size_t t = 1; t < g.out_length; ++t)
            for (std::size_t o = 0; o < outs; ++o) {
              const T v = rows[t * outs + o];
              if (v > best[o] || (std::isnan(v) && !std::isnan(best[o]))) {
                best[o] = v;
                at[o] = static_cast<std::uint32_t>(t);
              }
            }
        }
      }
    });
    if (bias.defined()) y += xt::view(bias.data<T>(), xt::newaxis(), xt::all());

    auto backward = [g, winners](BackwardContext<T>& ctx) {
      const T* dy = ctx.grad().data();
      const std::size_t outs = g.out_channels;
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        if (fresh) dx.fill(T(0));
        const T* w = ctx.input(1).data();
        for_pieces(g.batch, 1, [&](std::size_t begin, std::size_t end) {
          for (std::size_t n = begin; n < end; ++n)
            for (std::size_t o = 0; o < outs; ++o) {
              const std::size_t t = (*winners)[n * outs + o];
              const T d = dy[n * outs + o];
              window_taps(g, n, o, t, [&](std::size_t xi, std::size_t wi) { dx.data()[xi] += d * w[wi]; });
            }
        });
      });
      ctx.accumulate_into(1, [&](xt::xarray<T>& dw, bool fresh) {
        if (fresh) dw.fill(T(0));
        const T* x = ctx.input(0).data();
        for_pieces(outs, 1, [&](std::size_t begin, std::size_t end) {
          for (std::size_t o = begin; o < end; ++o)
            for (std::size_t n = 0; n < g.batch; ++n) {
              const std::size_t t = (*winners)[n * outs + o];
              const T d = dy[n * outs + o];
              window_taps(g, n, o, t, [&](std::size_t xi, std::size_t wi) { dw.data()[wi] += d * x[xi]; });
            }
        });
      });
      if (ctx.needs_grad(2)) ctx.accumulate(2, xt::xarray<T>(xt::sum(ctx.grad(), {0})));
    };
    return record<T>("conv1d_max_over_time", std::move(y), {x, weight, bias}, backward, OutputUse::NotRead);
  });
}

}  // namespace tg
