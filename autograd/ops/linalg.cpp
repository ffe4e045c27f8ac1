// Matrix products on BLAS: matmul (2-D, batched 3-D, 3-D x 2-D) and the fused linear layer.
#include "autograd/ops/blas.hpp"
#include "autograd/ops/common.hpp"
#include "autograd/ops/weight_grads.hpp"

namespace tg {

using detail::gemm;

// C = A B;  dA = dC B^T, dB = A^T dC   (batched: per batch; (b,n,k) x (k,m) folds the batch into rows)
Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_same_dtype("matmul", {a, b});
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const bool ok = (sa.size() == 2 && sb.size() == 2) || (sa.size() == 3 && sb.size() == 2) ||
                  (sa.size() == 3 && sb.size() == 3 && sa[0] == sb[0]);
  if (!ok || sa.back() != sb[sb.size() - 2])
    fail<ShapeError>("matmul: cannot multiply shapes {} and {} (need (n,k)x(k,m), (b,n,k)x(b,k,m) or "
                     "(b,n,k)x(k,m))",
                     shape_str(sa), shape_str(sb));
  return visit_dtype(a.dtype(), [&]<class T>() {
    const bool batched = sb.size() == 3;
    const std::size_t batch = batched ? sa[0] : 1;
    const std::size_t k = sa.back(), m = sb.back();
    const std::size_t n = batched ? sa[1] : a.numel() / k;  // rows per batch
    Shape out_shape = sa;
    out_shape.back() = m;
    xt::xarray<T> c = xt::xarray<T>::from_shape(out_shape);
    const T* pa = a.data<T>().data();
    const T* pb = b.data<T>().data();
    for (std::size_t i = 0; i < batch; ++i)
      gemm<T>(false, false, n, m, k, 1, pa + i * n * k, k, pb + i * k * m, m, 0, c.data() + i * n * m, m);
    return record<T>("matmul", std::move(c), {a, b}, [batch, n, k, m](BackwardContext<T>& ctx) {
      const T* dc = ctx.grad().data();
      const T* pa = ctx.input(0).data();
      const T* pb = ctx.input(1).data();
      const std::size_t b_step = batch > 1 ? k * m : 0;
      ctx.accumulate_into(0, [&](xt::xarray<T>& da, bool fresh) {
        for (std::size_t i = 0; i < batch; ++i)
          gemm<T>(false, true, n, k, m, 1, dc + i * n * m, m, pb + i * b_step, m, fresh ? 0 : 1,
                  da.data() + i * n * k, k);
      });
      ctx.accumulate_into(1, [&](xt::xarray<T>& db, bool fresh) {
        if (batch == 1 || b_step == 0) {  // one product over all rows
          gemm<T>(true, false, k, m, batch * n, 1, pa, k, dc, m, fresh ? 0 : 1, db.data(), m);
          return;
        }
        for (std::size_t i = 0; i < batch; ++i)
          gemm<T>(true, false, k, m, n, 1, pa + i * n * k, k, dc + i * n * m, m, fresh ? 0 : 1, db.data() + i * k * m,
                  m);
      });
    }, OutputUse::NotRead);
  });
}

// y = x W^T + b;  dx = dy W, dW = dy^T x, db = sum_rows(dy)   (x flattened to rows: one GEMM each)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (bias.defined()) detail::check_same_dtype("linear", {x, weight, bias});
  else detail::check_same_dtype("linear", {x, weight});
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sw.size() != 2 || sx.empty() || sx.back() != sw[1])
    fail<ShapeError>("linear: input {} does not fit weight {} (need input (..., {}) and weight (out, in))",
                     shape_str(sx), shape_str(sw), sw.size() == 2 ? sw[1] : 0);
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != sw[0]))
    fail<ShapeError>("linear: bias {} does not fit weight {} (need bias ({}))", shape_str(bias.shape()),
                     shape_str(sw), sw[0]);
  return visit_dtype(x.dtype(), [&]<class T>() {
    const std::size_t in = sw[1], out = sw[0], rows = x.numel() / std::max<std::size_t>(in, 1);
    Shape out_shape = sx;
    out_shape.back() = out;
    xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
    const T* b = bias.defined() ? bias.data<T>().data() : nullptr;  // added to every row by the product
    if (const auto packed = detail::reused_packing<T>(weight, true, in, out))  // a decoder's step, say
      detail::gemm_packed<T>(false, rows, 1, x.data<T>().data(), in, *packed, 0, y.data(), out, b);
    else
      gemm<T>(false, true, rows, out, in, 1, x.data<T>().data(), in, weight.data<T>().data(), in, 0, y.data(), out, b);
    auto backward = [rows, in, out](BackwardContext<T>& ctx) {
      const T* dy = ctx.grad().data();
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        gemm<T>(false, false, rows, in, out, 1, dy, out, ctx.input(1).data(), in, fresh ? 0 : 1, dx.data(), in);
      });
      detail::accumulate_weight_grads<T>(ctx, 1, rows, dy, out, in, {{0, out, ctx.input(0).data(), in}});
    };
    return record<T>("linear", std::move(y), {x, weight, bias}, backward, OutputUse::NotRead);
  });
}

}  // namespace tg
