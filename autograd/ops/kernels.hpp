#pragma once
// Loops over contiguous row-major memory shared by the axis-wise ops (slicing, indexing, softmax,
// cross-entropy, max). xtensor views along inner axes are slow in the hot RNN paths, so these ops
// see a tensor as (outer, size, inner) around one axis and move whole contiguous runs.
#include "autograd/xt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

/// max + log(sum(exp(x - max))) over n values at x[0], x[stride], ...; a row of -inf gives -inf
/// and a +inf entry gives +inf (no inf - inf).
template <class T>
T row_logsumexp(const T* x, std::size_t n, std::size_t stride) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::size_t j = 0; j < n; ++j) m = std::max(m, x[j * stride]);
  if (std::isinf(m)) return m;
  T s = 0;
  for (std::size_t j = 0; j < n; ++j) s += std::exp(x[j * stride] - m);
  return m + std::log(s);
}

}  // namespace tg::detail
