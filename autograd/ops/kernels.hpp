#pragma once
// Loops over contiguous row-major memory shared by the axis-wise ops (slicing, indexing, softmax,
// cross-entropy, max). xtensor views along inner axes are slow in the hot RNN paths, so these ops
// see a tensor as (outer, size, inner) around one axis and move whole contiguous runs.
#include "autograd/ops/isa/table.hpp"
#include "autograd/xt.hpp"

#include <algorithm>
#include <cmath>

namespace tg::detail {

/// A shape seen around one axis: `outer` blocks of `size` rows of `inner` contiguous elements.
struct AxisLayout {
  std::size_t outer = 1;
  std::size_t size = 1;
  std::size_t inner = 1;
};

inline AxisLayout axis_layout(const Shape& shape, std::size_t axis) {
  AxisLayout l;
  for (std::size_t i = 0; i < axis; ++i) l.outer *= shape[i];
  l.size = axis < shape.size() ? shape[axis] : 1;
  for (std::size_t i = axis + 1; i < shape.size(); ++i) l.inner *= shape[i];
  return l;
}

/// dst = src (fresh) or dst += src, over n elements. The write-or-add that every backward that
/// fills a gradient buffer from accumulate_into needs.
template <class T>
void write_or_add(T* dst, const T* src, std::size_t n, bool add) {
  if (add)
    for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
  else
    std::copy(src, src + n, dst);
}

/// For every outer block o: dst[o, dst_offset + j, :] (+)= src[o, src_offset + j, :] for j < length,
/// where src has `src_size` rows per block and dst `dst_size`. One contiguous run per block.
template <class T>
void copy_rows(const T* src, std::size_t src_size, std::size_t src_offset, T* dst, std::size_t dst_size,
               std::size_t dst_offset, std::size_t length, std::size_t outer, std::size_t inner, bool add) {
  const std::size_t run = length * inner;
  for (std::size_t o = 0; o < outer; ++o)
    write_or_add(dst + (o * dst_size + dst_offset) * inner, src + (o * src_size + src_offset) * inner, run, add);
}

/// Max of n contiguous values (-inf when n == 0). A NaN input makes the softmax-family results
/// NaN through exp either way, so its effect on the max itself is not pinned down.
template <class T>
T row_max(const T* x, std::size_t n) {
  return isa::kernels<T>().row_max(x, n);
}

/// Sum of a[i] * b[i] over n contiguous values (b null: sum of a). SIMD lanes, so the rounding
/// differs from a sequential sum by a few ulps.
template <class T>
T row_dot(const T* a, const T* b, std::size_t n) {
  return isa::kernels<T>().row_dot(a, b, n);
}

template <class T>
T row_sum(const T* a, std::size_t n) {
  return row_dot(a, static_cast<const T*>(nullptr), n);
}

/// Sum of exp(x - shift) over n contiguous values, also written to y unless y is null. One pass.
template <class T>
T exp_sum(const T* x, T shift, T* y, std::size_t n) {
  return isa::kernels<T>().exp_sum(x, shift, y, n);
}

/// dst = scale * exp(x - shift) (add: dst += ...) over n contiguous values.
template <class T>
void scaled_exp(const T* x, T shift, T scale, T* dst, std::size_t n, bool add) {
  isa::kernels<T>().scaled_exp(x, shift, scale, dst, n, add);
}

/// max + log(sum(exp(x - max))) over n contiguous values; a row of -inf gives -inf and a +inf
/// entry gives +inf (no inf - inf).
template <class T>
T row_logsumexp(const T* x, std::size_t n) {
  const T m = row_max(x, n);
  if (std::isinf(m)) return m;
  return m + std::log(exp_sum(x, m, static_cast<T*>(nullptr), n));
}

}  // namespace tg::detail
