// Joining and slicing along one axis: concat, stack, narrow, select, split, chunk. Each moves
// contiguous runs (kernels.hpp), so slicing gates along the last axis in RNN code costs one
// memcpy per row.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

namespace tg {

namespace {

using detail::AxisLayout;
using detail::copy_rows;

// y = [x_0 | x_1 | ...] along the axis of `layout` (x_i contributes sizes[i] rows);  dx_i = dy's rows of x_i
Tensor join(const char* name, const std::vector<Tensor>& tensors, const AxisLayout& layout,
            const std::vector<std::size_t>& sizes, const Shape& out_shape) {
  return visit_dtype(tensors[0].dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      copy_rows(tensors[i].data<T>().data(), sizes[i], 0, y.data(), layout.size, offset, sizes[i], layout.outer,
                layout.inner, false);
      offset += sizes[i];
    }
    return record<T>(name, std::move(y), tensors, [layout, sizes](BackwardContext<T>& ctx) {
      std::size_t offset = 0;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        ctx.accumulate_into(i, [&](xt::xarray<T>& dx, bool fresh) {
          copy_rows(ctx.grad().data(), layout.size, offset, dx.data(), sizes[i], 0, sizes[i], layout.outer,
                    layout.inner, !fresh);
        });
        offset += sizes[i];
      }
    }, OutputUse::NotRead);
  });
}

// y = x[..., start:start+length, ...];  dx[..., start:start+length, ...] += dy, zero elsewhere
Tensor slice(const char* name, const Tensor& x, std::size_t axis, std::size_t start, std::size_t length,
             bool keep_axis) {
  const AxisLayout layout = detail::axis_layout(x.shape(), axis);
  Shape out_shape = x.shape();
  out_shape[axis] = length;
  if (!keep_axis) out_shape = detail::without_axis(out_shape, axis);
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
    copy_rows(x.data<T>().data(), layout.size, start, y.data(), length, 0, length, layout.outer, layout.inner, false);
    return record<T>(name, std::move(y), {x}, [layout, start, length](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        if (fresh) std::fill(dx.begin(), dx.end(), T(0));
        copy_rows(ctx.grad().data(), length, 0, dx.data(), layout.size, start, length, layout.outer, layout.inner,
                  true);
      });
    }, OutputUse::NotRead);
  });
}

/// Pieces of `size` along axis (the last may be smaller), each its own slice node.
std::vector<Tensor> split_pieces(const char* name, const Tensor& x, std::size_t size, long axis) {
  detail::check_defined(name, x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), name);
  const std::size_t n = x.shape()[a];
  std::vector<Tensor> pieces;
  for (std::size_t start = 0; start < n || (n == 0 && pieces.empty()); start += size)
    pieces.push_back(slice(name, x, a, start, std::min(size, n - start), true));
  return pieces;
}

}  // namespace

Tensor concat(const std::vector<Tensor>& tensors, long axis) {
  if (tensors.empty()) fail<ValueError>("concat: needs at least one tensor");
  detail::check_same_dtype("concat", tensors);
  const Shape& first = tensors[0].shape();
  const std::size_t a = detail::normalize_axis(axis, first.size(), "concat");
  std::vector<std::size_t> sizes;
  Shape out_shape = first;
  out_shape[a] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    bool fits = s.size() == first.size();
    for (std::size_t d = 0; fits && d < s.size(); ++d) fits = d == a || s[d] == first[d];
    if (!fits)
      fail<ShapeError>("concat: tensor {} has shape {} but tensor 0 has {} (all sizes must match except at axis {})",
                       i, shape_str(s), shape_str(first), axis);
    sizes.push_back(s[a]);
    out_shape[a] += s[a];
  }
  return join("concat", tensors, detail::axis_layout(out_shape, a), sizes, out_shape);
}

Tensor stack(const std::vector<Tensor>& tensors, long axis) {
  if (tensors.empty()) fail<ValueError>("stack: needs at least one tensor");
  detail::check_same_dtype("stack", tensors);
  const Shape& first = tensors[0].shape();
  const std::size_t a = detail::normalize_axis(axis, first.size() + 1, "stack");
  for (std::size_t i = 1; i < tensors.size(); ++i)
    if (tensors[i].shape() != first)
      fail<ShapeError>("stack: tensor {} has shape {} but tensor 0 has {} (all shapes must be equal)", i,
                       shape_str(tensors[i].shape()), shape_str(first));
  const Shape out_shape = detail::with_axis(first, a, tensors.size());
  return join("stack", tensors, detail::axis_layout(out_shape, a), std::vector<std::size_t>(tensors.size(), 1),
              out_shape);
}

Tensor narrow(const Tensor& x, long axis, std::size_t start, std::size_t length) {
  detail::check_defined("narrow", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "narrow");
  if (start > x.shape()[a] || length > x.shape()[a] - start)
    fail<ShapeError>("narrow: [{}, {}) is out of range for axis {} of shape {}", start, start + length, axis,
                     shape_str(x.shape()));
  return slice("narrow", x, a, start, length, true);
}

Tensor select(const Tensor& x, long axis, std::size_t index) {
  detail::check_defined("select", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "select");
  if (index >= x.shape()[a])
    fail<IndexError>("select: index {} is out of range for axis {} of shape {}", index, axis, shape_str(x.shape()));
  return slice("select", x, a, index, 1, false);
}

std::vector<Tensor> split(const Tensor& x, std::size_t size, long axis) {
  if (size == 0) fail<ValueError>("split: piece size must be positive");
  return split_pieces("split", x, size, axis);
}

std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, long axis) {
  if (chunks == 0) fail<ValueError>("chunk: number of chunks must be positive");
  detail::check_defined("chunk", x);
  const std::size_t n = x.shape()[detail::normalize_axis(axis, x.dim(), "chunk")];
  return split_pieces("chunk", x, std::max<std::size_t>(1, (n + chunks - 1) / chunks), axis);
}

}  // namespace tg
