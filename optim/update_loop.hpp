#pragma once
// How an optimizer update runs over memory: every tensor is cut into fixed chunks, the chunks run
// under TBB, and each chunk is one SIMD pass. Chunk boundaries depend only on the tensor sizes, never
// on the thread count, so every element is computed by the same instructions whatever the
// partitioning: results are bitwise identical for 1, 2 or N threads.
#include "autograd/xt.hpp"

#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <type_traits>

namespace tg::optim::detail {

/// Elements per chunk: a chunk of Adam moves ~1.8 MB, so a task's overhead is noise, while a
/// 1M-parameter tensor still splits into 16 tasks for the cores. Smaller tensors are never split.
inline constexpr std::size_t kChunk = std::size_t{1} << 16;

/// Number of chunks for tensors of `sizes` elements (an empty tensor has none).
std::size_t count_chunks(std::span<const std::size_t> sizes);

/// Calls `f(item, begin, end, chunk)` for every chunk of every item, in parallel. `chunk` counts the
/// chunks in order (item 0's first), so per-chunk partial results can be combined in a fixed order.
///
///     for_each_chunk(sizes, [&](std::size_t k, std::size_t b, std::size_t e, std::size_t) { ... });
void for_each_chunk(std::span<const std::size_t> sizes,
                    const std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)>& f);

// ---- SIMD: one body, written once for xsimd batches and for the scalar tail ------------------

template <class V, class T>
V load_at(const T* p) {
  if constexpr (std::is_same_v<V, T>) return *p;
  else return V::load_unaligned(p);
}

template <class T, class V>
void store_at(T* p, const V& v) {
  if constexpr (std::is_same_v<V, T>) *p = v;
  else v.store_unaligned(p);
}

template <class V>
V vsqrt(const V& v) {
  if constexpr (std::is_floating_point_v<V>) return std::sqrt(v);
  else return xsimd::sqrt(v);
}

/// max(a, b) as torch.maximum, for non-NaN inputs.
template <class V>
V vmax(const V& a, const V& b) {
  if constexpr (std::is_floating_point_v<V>) return a < b ? b : a;
  else return xsimd::max(a, b);
}

/// Calls `body(V{}, i)` with V = xsimd::batch<T> for full batches of [begin, end) and V = T for the tail.
///
///     vectorized<float>(b, e, [&](auto zero, std::size_t i) {
///       using V = decltype(zero);
///       store_at(p + i, load_at<V>(p + i) * V(2));
///     });
template <class T, class Body>
void vectorized(std::size_t begin, std::size_t end, Body&& body) {
  using Batch = xsimd::batch<T>;
  std::size_t i = begin;
  for (; i + Batch::size <= end; i += Batch::size) body(Batch(T(0)), i);
  for (; i < end; ++i) body(T(0), i);
}

}  // namespace tg::optim::detail
