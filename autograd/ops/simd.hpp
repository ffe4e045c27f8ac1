#pragma once
// One loop body for both the SIMD lanes and the scalar tail: kernels are written once as a generic
// lambda over a value type V (an xsimd batch, or T itself for the last n % lanes elements), so the
// gate math of the recurrent ops reads like its formula and still runs on full vector registers.
//
//     simd::for_each<T, Arch>(n, [&]<class V>(std::size_t i) {
//       simd::store(y + i, simd::sigmoid(simd::load<V>(a + i) + simd::load<V>(b + i)));
//     });
//
// Included only by the per-instruction-set kernels (autograd/ops/isa/, optim/isa/), and everything here has internal
// linkage: isa/avx2.cpp compiles it with AVX2, and a shared inline copy of a scalar helper could be
// the one the linker keeps for the baseline callers too.
#include "autograd/xt.hpp"

#include <cmath>
#include <cstddef>
#include <type_traits>

namespace tg::detail::simd {
namespace {

template <class V, class T>
V load(const T* p) {
  if constexpr (std::is_same_v<V, T>)
    return *p;
  else
    return V::load_unaligned(p);
}

template <class T>
void store(T* p, T v) {
  *p = v;
}

template <class T, class A>
void store(T* p, const xsimd::batch<T, A>& v) {
  v.store_unaligned(p);
}

/// Calls body.template operator()<xsimd::batch<T, Arch>>(i) for i = 0, lanes, 2 lanes, ... while a
/// whole batch fits, then body.template operator()<T>(i) for each remaining i.
template <class T, class Arch, class Body>
void for_each(std::size_t n, Body&& body) {
  using B = xsimd::batch<T, Arch>;
  std::size_t i = 0;
  for (; i + B::size <= n; i += B::size) body.template operator()<B>(i);
  for (; i < n; ++i) body.template operator()<T>(i);
}

template <class V>
V exp(const V& x) {
  if constexpr (std::is_arithmetic_v<V>)
    return std::exp(x);
  else
    return xsimd::exp(x);
}

template <class V>
V tanh(const V& x) {
  if constexpr (std::is_arithmetic_v<V>)
    return std::tanh(x);
  else
    return xsimd::tanh(x);
}

template <class V>
V sqrt(const V& x) {
  if constexpr (std::is_arithmetic_v<V>)
    return std::sqrt(x);
  else
    return xsimd::sqrt(x);
}

/// max(a, b) as torch.maximum, for non-NaN inputs.
template <class V>
V max(const V& a, const V& b) {
  if constexpr (std::is_arithmetic_v<V>)
    return a < b ? b : a;
  else
    return xsimd::max(a, b);
}

/// 1 / (1 + e^-x): exp overflows to inf for x < -88 (float), giving exactly 0, never NaN.
template <class V>
V sigmoid(const V& x) {
  return V(1) / (V(1) + exp(-x));
}

}  // namespace
}  // namespace tg::detail::simd
