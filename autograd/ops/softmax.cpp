// The softmax family along one axis, shifted by the row maximum so that logits of +/-1e4 stay
// finite. Rows are walked in place with a stride (1 for the last axis): no temporaries per row.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

namespace tg {

namespace {

using detail::AxisLayout;

/// Calls f(first, stride, row) for every row along the axis of `layout`: elements first,
/// first + stride, ... ; `row` numbers the rows in (outer, inner) order.
template <class F>
void for_each_row(const AxisLayout& l, F&& f) {
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t i = 0; i < l.inner; ++i) f(o * l.size * l.inner + i, l.inner, o * l.inner + i);
}

/// Records `name` with value row_op(x_row, y_row, n, stride) for every row and backward
/// grad_op(dy_row, y_row, x_row, dx_row, n, stride, add).
template <class RowForward, class RowBackward>
Tensor rowwise(const char* name, const Tensor& x, long axis, RowForward forward, RowBackward backward) {
  detail::check_defined(name, x);
  const AxisLayout layout = detail::axis_layout(x.shape(), detail::normalize_axis(axis, x.dim(), name));
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(x.shape());
    const T* px = x.data<T>().data();
    for_each_row(layout, [&](std::size_t first, std::size_t stride, std::size_t) {
      forward(px + first, y.data() + first, layout.size, stride);
    });
    return record<T>(name, std::move(y), {x}, [layout, backward](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        for_each_row(layout, [&](std::size_t first, std::size_t stride, std::size_t) {
          backward(ctx.grad().data() + first, ctx.output().data() + first, dx.data() + first, layout.size, stride,
                   !fresh);
        });
      });
    });
  });
}

}  // namespace

// y = e^(x - m) / sum(e^(x - m));  dx = y * (dy - sum(dy * y))
Tensor softmax(const Tensor& x, long axis) {
  return rowwise(
      "softmax", x, axis,
      []<class T>(const T* x, T* y, std::size_t n, std::size_t stride) {
        T m = -std::numeric_limits<T>::infinity();
        for (std::size_t j = 0; j < n; ++j) m = std::max(m, x[j * stride]);
        T s = 0;
        for (std::size_t j = 0; j < n; ++j) s += (y[j * stride] = std::exp(x[j * stride] - m));
        const T r = 1 / s;
        for (std::size_t j = 0; j < n; ++j) y[j * stride] *= r;
      },
      []<class T>(const T* dy, const T* y, T* dx, std::size_t n, std::size_t stride, bool add) {
        T dot = 0;
        for (std::size_t j = 0; j < n; ++j) dot += dy[j * stride] * y[j * stride];
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t k = j * stride;
          dx[k] = (add ? dx[k] : T(0)) + y[k] * (dy[k] - dot);
        }
      });
}

// y = x - logsumexp(x);  dx = dy - e^y * sum(dy)
Tensor log_softmax(const Tensor& x, long axis) {
  return rowwise(
      "log_softmax", x, axis,
      []<class T>(const T* x, T* y, std::size_t n, std::size_t stride) {
        const T lse = detail::row_logsumexp(x, n, stride);
        for (std::size_t j = 0; j < n; ++j) y[j * stride] = x[j * stride] - lse;
      },
      []<class T>(const T* dy, const T* y, T* dx, std::size_t n, std::size_t stride, bool add) {
        T total = 0;
        for (std::size_t j = 0; j < n; ++j) total += dy[j * stride];
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t k = j * stride;
          dx[k] = (add ? dx[k] : T(0)) + dy[k] - std::exp(y[k]) * total;
        }
      });
}

// y = m + log(sum(e^(x - m))), m = max(x);  dx = dy * e^(x - y)
Tensor logsumexp(const Tensor& x, long axis, bool keepdim) {
  detail::check_defined("logsumexp", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "logsumexp");
  const AxisLayout layout = detail::axis_layout(x.shape(), a);
  Shape out_shape = x.shape();
  out_shape[a] = 1;
  if (!keepdim) out_shape = detail::without_axis(out_shape, a);
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
    const T* px = x.data<T>().data();
    for_each_row(layout, [&](std::size_t first, std::size_t stride, std::size_t row) {
      y.data()[row] = detail::row_logsumexp(px + first, layout.size, stride);
    });
    return record<T>("logsumexp", std::move(y), {x}, [layout](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        const T* px = ctx.input(0).data();
        for_each_row(layout, [&](std::size_t first, std::size_t stride, std::size_t row) {
          const T g = ctx.grad().data()[row], y = ctx.output().data()[row];
          for (std::size_t j = 0; j < layout.size; ++j) {
            const std::size_t k = first + j * stride;
            dx.data()[k] = (fresh ? T(0) : dx.data()[k]) + g * std::exp(px[k] - y);
          }
        });
      });
    });
  });
}

}  // namespace tg
