// 1-D convolution as one GEMM over an im2col matrix, forward and backward.
#include "autograd/ops/blas.hpp"
#include "autograd/ops/common.hpp"

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

ConvGeometry check_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::size_t stride,
                          std::size_t padding) {
  if (bias.defined()) detail::check_same_dtype("conv1d", {x, weight, bias});
  else detail::check_same_dtype("conv1d", {x, weight});
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sx.size() != 3 || sw.size() != 3 || sx[1] != sw[1])
    fail<ShapeError>("conv1d: input {} does not fit weight {} (need input (N, C_in, L) and weight (C_out, C_in, K))",
                     shape_str(sx), shape_str(sw));
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != sw[0]))
    fail<ShapeError>("conv1d: bias {} does not fit weight {} (need bias ({}))", shape_str(bias.shape()),
                     shape_str(sw), sw[0]);
  if (stride == 0) fail<ValueError>("conv1d: stride must be positive");
  if (sw[2] == 0 || sx[2] + 2 * padding < sw[2])
    fail<ShapeError>("conv1d: kernel size {} does not fit input length {} with padding {}", sw[2], sx[2], padding);
  return {sx[0], sx[1], sx[2], sw[0], sw[2], stride, padding, (sx[2] + 2 * padding - sw[2]) / stride + 1};
}

/// cols[(n, t), (c, k)] = x[n, c, t * stride + k - padding] (0 in the padding).
template <class T>
xt::xarray<T> im2col(const T* x, const ConvGeometry& g) {
  xt::xarray<T> cols = xt::zeros<T>({g.rows(), g.cols()});
  T* out = cols.data();
  for (std::size_t n = 0; n < g.batch; ++n)
    for (std::size_t t = 0; t < g.out_length; ++t, out += g.cols())
      for (std::size_t c = 0; c < g.in_channels; ++c)
        for (std::size_t k = 0; k < g.kernel; ++k)
          if (const long pos = g.source(t, k); pos >= 0) out[c * g.kernel + k] = x[(n * g.in_channels + c) * g.length + pos];
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

}  // namespace

// Y[(n,t), o] = cols[(n,t), :] . W[o, :] + b[o], then laid out as (N, C_out, L_out);
// dW = dY^T cols, dcols = dY W -> dx by col2im, db = sum over (n, t) of dY.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::size_t stride, std::size_t padding) {
  const ConvGeometry g = check_conv1d(x, weight, bias, stride, padding);
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

}  // namespace tg
