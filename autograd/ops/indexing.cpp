// Gathering rows by integer ids: index_select along any axis, and embedding (rows of a table).
// Both copy whole contiguous rows forward and scatter-add them backward, so repeated ids accumulate.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

namespace tg {

namespace {

// y[o, r, :] = x[o, ids[r], :];  dx[o, ids[r], :] += dy[o, r, :] for every r with ids[r] != skip
// (ids already checked to lie in [0, size of the axis)).
Tensor gather(const char* name, const Tensor& x, std::size_t axis, const IndexArray& ids, std::optional<Index> skip) {
  const detail::AxisLayout layout = detail::axis_layout(x.shape(), axis);
  Shape out_shape(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(axis));
  out_shape.insert(out_shape.end(), ids.shape().begin(), ids.shape().end());
  out_shape.insert(out_shape.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.shape().end());
  const std::size_t rows = ids.size(), inner = layout.inner;
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::xarray<T>::from_shape(out_shape);
    const T* src = x.data<T>().data();
    for (std::size_t o = 0; o < layout.outer; ++o)
      for (std::size_t r = 0; r < rows; ++r) {
        const T* row = src + (o * layout.size + static_cast<std::size_t>(ids.data()[r])) * inner;
        std::copy(row, row + inner, y.data() + (o * rows + r) * inner);
      }
    return record<T>(name, std::move(y), {x}, [layout, ids, skip, rows](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        if (fresh) std::fill(dx.begin(), dx.end(), T(0));
        const std::size_t inner = layout.inner;
        const T* dy = ctx.grad().data();
        for (std::size_t o = 0; o < layout.outer; ++o)
          for (std::size_t r = 0; r < rows; ++r) {
            const Index id = ids.data()[r];
            if (skip && id == *skip) continue;
            detail::write_or_add(dx.data() + (o * layout.size + static_cast<std::size_t>(id)) * inner,
                                 dy + (o * rows + r) * inner, inner, true);
          }
      });
    }, OutputUse::NotRead);
  });
}

}  // namespace

Tensor index_select(const Tensor& x, long axis, const IndexArray& indices) {
  detail::check_defined("index_select", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "index_select");
  const Index n = static_cast<Index>(x.shape()[a]);
  for (Index i : indices)
    if (i < 0 || i >= n)
      fail<IndexError>("index_select: index {} is out of range for axis {} of shape {} (must be in [0, {}))", i,
                       axis, shape_str(x.shape()), n);
  return gather("index_select", x, a, indices, std::nullopt);
}

Tensor embedding(const Tensor& weight, const IndexArray& ids, std::optional<Index> padding_idx) {
  detail::check_defined("embedding", weight);
  if (weight.dim() != 2)
    fail<ShapeError>("embedding: weight must be (num_embeddings, dim), got shape {}", shape_str(weight.shape()));
  const Index n = static_cast<Index>(weight.shape()[0]);
  if (padding_idx) {
    if (*padding_idx < -n || *padding_idx >= n)
      fail<IndexError>("embedding: padding_idx {} is out of range for a table of {} rows", *padding_idx, n);
    if (*padding_idx < 0) padding_idx = *padding_idx + n;  // as PyTorch: counted from the end
  }
  for (Index id : ids)
    if (id < 0 || id >= n)
      fail<IndexError>("embedding: id {} is out of range for a table of {} rows (ids must be in [0, {}))", id, n, n);
  return gather("embedding", weight, 0, ids, padding_idx);
}

}  // namespace tg
