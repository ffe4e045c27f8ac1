// Reductions over all elements or over given axes, with keepdim.
#include "autograd/ops/common.hpp"

#include <algorithm>

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

// y = sum_axes(x) * scale;  dx = broadcast(dy) * scale
Tensor scaled_sum(const char* name, const Tensor& x, const std::vector<std::size_t>& axes, bool keepdim,
                  bool average) {
  return visit_dtype(x.dtype(), [&]<class T>() {
    const auto& a = x.data<T>();
    std::size_t count = 1;
    for (std::size_t ax : axes) count *= a.shape()[ax];
    if (average && count == 0) fail<ValueError>("{}: mean over an empty axis (shape {})", name, shape_str(a.shape()));
    const T scale = average ? T(1) / static_cast<T>(count) : T(1);
    xt::xarray<T> y = xt::sum(a, axes);
    if (average) y *= scale;
    const Shape kept = kept_shape(a.shape(), axes);
    y.reshape(reduced_shape(a.shape(), axes, keepdim));
    return record<T>(name, std::move(y), {x}, [kept, scale](BackwardContext<T>& ctx) {
      auto g = xt::reshape_view(ctx.grad(), kept);
      ctx.accumulate(0, xt::broadcast(g * scale, ctx.input_shape(0)));
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

}  // namespace tg
