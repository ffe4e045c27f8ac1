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

/// Max of n contiguous values (-inf when n == 0). A NaN input makes the softmax-family results
/// NaN through exp either way, so its effect on the max itself is not pinned down.
template <class T>
T row_max(const T* x, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t L = B::size;
  T m = -std::numeric_limits<T>::infinity();
  std::size_t i = 0;
  if (n >= L) {
    B acc = B::load_unaligned(x);
    for (i = L; i + L <= n; i += L) acc = xsimd::max(acc, B::load_unaligned(x + i));
    alignas(64) T lanes[L];
    acc.store_aligned(lanes);
    for (T v : lanes) m = std::max(m, v);
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

/// Sum of a[i] * b[i] over n contiguous values (b null: sum of a). SIMD lanes, so the rounding
/// differs from a sequential sum by a few ulps.
template <class T>
T row_dot(const T* a, const T* b, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t L = B::size;
  B acc(T(0));
  std::size_t i = 0;
  for (; i + L <= n; i += L) acc += b ? B::load_unaligned(a + i) * B::load_unaligned(b + i) : B::load_unaligned(a + i);
  T total = xsimd::hadd(acc);
  for (; i < n; ++i) total += b ? a[i] * b[i] : a[i];
  return total;
}

template <class T>
T row_sum(const T* a, std::size_t n) {
  return row_dot(a, static_cast<const T*>(nullptr), n);
}

/// Sum of exp(x - shift) over n contiguous values, also written to y unless y is null. One pass.
template <class T>
T exp_sum(const T* x, T shift, T* y, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t L = B::size;
  const B s(shift);
  B acc(T(0));
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const B e = xsimd::exp(B::load_unaligned(x + i) - s);
    if (y) e.store_unaligned(y + i);
    acc += e;
  }
  T total = xsimd::hadd(acc);
  for (; i < n; ++i) {
    const T e = std::exp(x[i] - shift);
    if (y) y[i] = e;
    total += e;
  }
  return total;
}

/// dst = scale * exp(x - shift) (add: dst += ...) over n contiguous values.
template <class T>
void scaled_exp(const T* x, T shift, T scale, T* dst, std::size_t n, bool add) {
  using B = xsimd::batch<T>;
  constexpr std::size_t L = B::size;
  const B s(shift), c(scale);
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    B v = c * xsimd::exp(B::load_unaligned(x + i) - s);
    if (add) v += B::load_unaligned(dst + i);
    v.store_unaligned(dst + i);
  }
  for (; i < n; ++i) dst[i] = (add ? dst[i] : T(0)) + scale * std::exp(x[i] - shift);
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
