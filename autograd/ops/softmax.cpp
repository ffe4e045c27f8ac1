// The softmax family, shifted by the row maximum so that logits of +/-1e4 stay finite. The
// kernels walk contiguous rows of the last axis with SIMD exp (kernels.hpp); another axis is
// permuted last and back, composed from differentiable ops, which costs two copies but keeps one
// kernel per op.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

namespace tg {

namespace {

/// op_last(x) on `axis` instead of the last axis: the axis is moved last and, when the result
/// keeps it, moved back.
template <class LastAxisOp>
Tensor on_axis(const Tensor& x, std::size_t axis, bool keeps_axis, LastAxisOp op_last) {
  if (axis + 1 == x.dim()) return op_last(x);
  std::vector<long> to_last, back(x.dim());
  for (std::size_t i = 0; i < x.dim(); ++i)
    if (i != axis) to_last.push_back(static_cast<long>(i));
  to_last.push_back(static_cast<long>(axis));
  for (std::size_t i = 0; i < to_last.size(); ++i) back[static_cast<std::size_t>(to_last[i])] = static_cast<long>(i);
  Tensor y = op_last(permute(x, to_last));
  return keeps_axis ? permute(y, back) : y;
}

/// Records `name` over the rows of the last axis: forward(x_row, y_row, n) fills each output row,
/// backward(dy_row, y_row, x_row, dx_row, n, add) writes (or adds to) each input-gradient row.
template <class RowForward, class RowBackward>
Tensor rowwise(const char* name, const Tensor& x, RowForward forward, RowBackward backward) {
  const std::size_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(x.shape());
    const T* px = x.data<T>().data();
    for (std::size_t r = 0; r < rows; ++r) forward(px + r * n, y.data() + r * n, n);
    return record<T>(name, std::move(y), {x}, [n, rows, backward](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        for (std::size_t r = 0; r < rows; ++r)
          backward(ctx.grad().data() + r * n, ctx.output().data() + r * n, dx.data() + r * n, n, !fresh);
      });
    });
  });
}

// y = e^(x - m) / sum(e^(x - m));  dx = y * (dy - sum(dy * y))
Tensor softmax_last(const Tensor& x) {
  return rowwise(
      "softmax", x,
      []<class T>(const T* x, T* y, std::size_t n) {
        const T r = 1 / detail::exp_sum(x, detail::row_max(x, n), y, n);
        for (std::size_t j = 0; j < n; ++j) y[j] *= r;
      },
      []<class T>(const T* dy, const T* y, T* dx, std::size_t n, bool add) {
        const T dot = detail::row_dot(dy, y, n);
        for (std::size_t j = 0; j < n; ++j) dx[j] = (add ? dx[j] : T(0)) + y[j] * (dy[j] - dot);
      });
}

// y = x - logsumexp(x);  dx = dy - e^y * sum(dy)
Tensor log_softmax_last(const Tensor& x) {
  return rowwise(
      "log_softmax", x,
      []<class T>(const T* x, T* y, std::size_t n) {
        const T lse = detail::row_logsumexp(x, n);
        for (std::size_t j = 0; j < n; ++j) y[j] = x[j] - lse;
      },
      []<class T>(const T* dy, const T* y, T* dx, std::size_t n, bool add) {
        const T total = detail::row_sum(dy, n);
        detail::write_or_add(dx, dy, n, add);
        detail::scaled_exp(y, T(0), -total, dx, n, true);
      });
}

// y = m + log(sum(e^(x - m))), m = max(x);  dx = dy * e^(x - y)
Tensor logsumexp_last(const Tensor& x) {
  const std::size_t n = x.shape().back(), rows = x.numel() / std::max<std::size_t>(n, 1);
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(detail::without_axis(x.shape(), x.dim() - 1));
    const T* px = x.data<T>().data();
    for (std::size_t r = 0; r < rows; ++r) y.data()[r] = detail::row_logsumexp(px + r * n, n);
    return record<T>("logsumexp", std::move(y), {x}, [n, rows](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        const T* px = ctx.input(0).data();
        for (std::size_t r = 0; r < rows; ++r)
          detail::scaled_exp(px + r * n, ctx.output().data()[r], ctx.grad().data()[r], dx.data() + r * n, n, !fresh);
      });
    });
  });
}

}  // namespace

Tensor softmax(const Tensor& x, long axis) {
  detail::check_defined("softmax", x);
  return on_axis(x, detail::normalize_axis(axis, x.dim(), "softmax"), true, softmax_last);
}

Tensor log_softmax(const Tensor& x, long axis) {
  detail::check_defined("log_softmax", x);
  return on_axis(x, detail::normalize_axis(axis, x.dim(), "log_softmax"), true, log_softmax_last);
}

Tensor logsumexp(const Tensor& x, long axis, bool keepdim) {
  detail::check_defined("logsumexp", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "logsumexp");
  Tensor y = on_axis(x, a, false, logsumexp_last);
  return keepdim ? unsqueeze(y, static_cast<long>(a)) : y;
}

}  // namespace tg
