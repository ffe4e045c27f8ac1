// Reductions over all elements or over given axes, with keepdim.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace tg {

namespace {
std::vector<std::size_t> normalize_axes(const std::vector<long>& axes, std::size_t ndim, const char* op) {
  std::vector<std::size_t> out;
  for (long a : axes) out.push_back(detail::normalize_axis(a, ndim, op));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    fail<ValueError>("{}: axis repeated in [{}]", op, fmt::join(axes, ", "));
  return out;
}

/// The input's shape with the reduced axes set to 1 (the keepdim shape).
Shape kept_shape(const Shape& shape, const std::vector<std::size_t>& axes) {
  Shape kept = shape;
  for (std::size_t a : axes) kept[a] = 1;
  return kept;
}

Shape reduced_shape(const Shape& shape, const std::vector<std::size_t>& axes, bool keepdim) {
  if (keepdim) return kept_shape(shape, axes);
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) out.push_back(shape[i]);
  return out;
}

/// The reduced axes as one (outer, size, inner) block when they are adjacent (all axes, the last
/// ones, the first ones...), the common case that runs on contiguous rows instead of xtensor's
/// generic reducer (which is an order of magnitude slower).
std::optional<detail::AxisLayout> adjacent_block(const Shape& shape, const std::vector<std::size_t>& axes) {
  if (axes.empty() || axes.back() - axes.front() + 1 != axes.size()) return std::nullopt;
  detail::AxisLayout l;
  l.size = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < axes.front()) l.outer *= shape[i];
    else if (i > axes.back()) l.inner *= shape[i];
    else l.size *= shape[i];
  }
  return l;
}

/// y[o, i] = scale * sum_j x[o, j, i] over the block layout l.
template <class T>
void block_sum(const T* x, const detail::AxisLayout& l, T scale, T* y) {
  for (std::size_t o = 0; o < l.outer; ++o) {
    const T* xo = x + o * l.size * l.inner;
    T* yo = y + o * l.inner;
    if (l.inner == 1) {
      yo[0] = scale * detail::row_sum(xo, l.size);
      continue;
    }
    std::fill(yo, yo + l.inner, T(0));
    for (std::size_t j = 0; j < l.size; ++j) detail::write_or_add(yo, xo + j * l.inner, l.inner, true);
    for (std::size_t i = 0; i < l.inner; ++i) yo[i] *= scale;
  }
}

/// dx[o, j, i] (+)= scale * dy[o, i] over the block layout l.
template <class T>
void block_spread(const T* dy, const detail::AxisLayout& l, T scale, T* dx, bool add) {
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t j = 0; j < l.size; ++j) {
      T* d = dx + (o * l.size + j) * l.inner;
      const T* g = dy + o * l.inner;
      for (std::size_t i = 0; i < l.inner; ++i) d[i] = (add ? d[i] : T(0)) + scale * g[i];
    }
}

// y = sum_axes(x) * scale;  dx = broadcast(dy) * scale
Tensor scaled_sum(const char* name, const Tensor& x, const std::vector<std::size_t>& axes, bool keepdim,
                  bool average) {
  return visit_dtype(x.dtype(), [&]<class T>() {
    const auto& a = x.data<T>();
    std::size_t count = 1;
    for (std::size_t ax : axes) count *= a.shape()[ax];
    if (average && count == 0) fail<ValueError>("{}: mean over an empty axis (shape {})", name, shape_str(a.shape()));
    const T scale = average ? T(1) / static_cast<T>(count) : T(1);
    const Shape out_shape = reduced_shape(a.shape(), axes, keepdim);
    if (const auto block = adjacent_block(a.shape(), axes)) {
      xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
      block_sum(a.data(), *block, scale, y.data());
      return record<T>(name, std::move(y), {x}, [l = *block, scale](BackwardContext<T>& ctx) {
        ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
          block_spread(ctx.grad().data(), l, scale, dx.data(), !fresh);
        });
      });
    }
    xt::xarray<T> y = xt::sum(a, axes);
    if (average) y *= scale;
    const Shape kept = kept_shape(a.shape(), axes);
    y.reshape(out_shape);
    return record<T>(name, std::move(y), {x}, [kept, scale](BackwardContext<T>& ctx) {
      auto g = xt::reshape_view(ctx.grad(), kept);
      ctx.accumulate(0, xt::broadcast(g * scale, ctx.input_shape(0)));
    });
  });
}

/// Flat position of the first maximum in each row along the axis of `layout`, in (outer, inner)
/// order; a NaN counts as the maximum (NaN propagates, as in PyTorch).
template <class T>
std::vector<std::size_t> argmax_rows(const T* x, const detail::AxisLayout& l) {
  std::vector<std::size_t> positions;
  positions.reserve(l.outer * l.inner);
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t i = 0; i < l.inner; ++i) {
      const std::size_t base = o * l.size * l.inner + i;
      std::size_t best = base;
      for (std::size_t j = 1; j < l.size && !std::isnan(x[best]); ++j) {
        const std::size_t k = base + j * l.inner;
        if (x[k] > x[best] || std::isnan(x[k])) best = k;
      }
      positions.push_back(best);
    }
  return positions;
}

// y_r = x[p_r,0] (= x[p_r,1] = ...);  dx[p_r,k] += dy_r / ties   (ties = positions per output element)
template <class T>
Tensor picked(const char* name, const Tensor& x, const Shape& out_shape, std::vector<std::size_t> positions,
              std::size_t ties) {
  xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
  for (std::size_t r = 0; r < y.size(); ++r) y.data()[r] = x.data<T>().data()[positions[r * ties]];
  return record<T>(name, std::move(y), {x}, [positions = std::move(positions), ties](BackwardContext<T>& ctx) {
    ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
      if (fresh) std::fill(dx.begin(), dx.end(), T(0));
      const T share = T(1) / static_cast<T>(ties);
      for (std::size_t k = 0; k < positions.size(); ++k) dx.data()[positions[k]] += ctx.grad().data()[k / ties] * share;
    });
  });
}

std::vector<std::size_t> all_axes(const Tensor& x) {
  std::vector<std::size_t> axes(x.dim());
  for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = i;
  return axes;
}
}  // namespace

Tensor sum(const Tensor& x) {
  detail::check_defined("sum", x);
  return scaled_sum("sum", x, all_axes(x), false, false);
}

Tensor sum(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  detail::check_defined("sum", x);
  return scaled_sum("sum", x, normalize_axes(axes, x.dim(), "sum"), keepdim, false);
}

Tensor mean(const Tensor& x) {
  detail::check_defined("mean", x);
  return scaled_sum("mean", x, all_axes(x), false, true);
}

Tensor mean(const Tensor& x, const std::vector<long>& axes, bool keepdim) {
  detail::check_defined("mean", x);
  return scaled_sum("mean", x, normalize_axes(axes, x.dim(), "mean"), keepdim, true);
}

// y = max along axis;  dx = dy at the first maximal element, 0 elsewhere
Tensor max(const Tensor& x, long axis, bool keepdim) {
  detail::check_defined("max", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "max");
  if (x.shape()[a] == 0) fail<ValueError>("max: axis {} of shape {} is empty", axis, shape_str(x.shape()));
  return visit_dtype(x.dtype(), [&]<class T>() {
    auto positions = argmax_rows(x.data<T>().data(), detail::axis_layout(x.shape(), a));
    return picked<T>("max", x, reduced_shape(x.shape(), {a}, keepdim), std::move(positions), 1);
  });
}

// y = max(x);  dx = dy / k at each of the k maximal elements (PyTorch's rule for the full reduction)
Tensor max(const Tensor& x) {
  detail::check_defined("max", x);
  if (x.numel() == 0) fail<ValueError>("max: tensor of shape {} is empty", shape_str(x.shape()));
  return visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>().data();
    const std::size_t first = argmax_rows(px, detail::AxisLayout{1, x.numel(), 1})[0];
    std::vector<std::size_t> ties;
    for (std::size_t k = first; k < x.numel(); ++k)
      if (px[k] == px[first] || k == first) ties.push_back(k);
    const std::size_t count = ties.size();
    return picked<T>("max", x, Shape{}, std::move(ties), count);
  });
}

}  // namespace tg
