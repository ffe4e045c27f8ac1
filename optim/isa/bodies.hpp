#pragma once
// The kernels of optim/update_kernels.hpp, written once over an xsimd instruction set Arch and
// compiled by optim/isa/<name>.cpp with that instruction set's flags. As in autograd/ops/isa/
// bodies.hpp, everything is a member of UpdateBodies<Arch, T> or has internal linkage.
#include "autograd/ops/simd.hpp"
#include "optim/update_kernels.hpp"

#include <cmath>

namespace tg::optim::detail {

namespace simd = tg::detail::simd;

template <class Arch, class T>
struct UpdateBodies {
  static void sgd(const SgdScalars& s, bool fresh, T* p, const T* g, T* buf, std::size_t begin, std::size_t end) {
    const T weight_decay = T(s.weight_decay), momentum = T(s.momentum), neg_lr = T(-s.lr);
    const T keep = T(1 - s.dampening);
    const bool decay = s.weight_decay != 0;
    simd::for_each<T, Arch>(end - begin, [&]<class V>(std::size_t k) {
      const std::size_t i = begin + k;
      const V param = simd::load<V>(p + i);
      V d = simd::load<V>(g + i);
      if (decay) d = d + V(weight_decay) * param;
      if (buf) {
        const V b = fresh ? d : simd::load<V>(buf + i) * V(momentum) + V(keep) * d;
        simd::store(buf + i, b);
        d = s.nesterov ? d + V(momentum) * b : b;
      }
      simd::store(p + i, param + V(neg_lr) * d);
    });
  }

  static void adam(const AdamScalars& s, T* p, const T* g, T* m, T* v, T* vmax, std::size_t begin, std::size_t end) {
    const T beta1 = T(s.beta1), one_minus_beta1 = T(1 - s.beta1), beta2 = T(s.beta2), one_minus_beta2 = T(1 - s.beta2);
    const T eps = T(s.eps), weight_decay = T(s.weight_decay), decay_factor = T(s.decay_factor);
    const T neg_step_size = T(-s.step_size), bias_correction2_sqrt = T(s.bias_correction2_sqrt);
    simd::for_each<T, Arch>(end - begin, [&]<class V>(std::size_t k) {
      const std::size_t i = begin + k;
      V param = simd::load<V>(p + i);
      V grad = simd::load<V>(g + i);
      if (s.coupled_decay) grad = grad + V(weight_decay) * param;
      param = param * V(decay_factor);  // AdamW's decoupled decay; exactly 1 otherwise
      const V exp_avg = simd::load<V>(m + i) * V(beta1) + V(one_minus_beta1) * grad;
      V exp_avg_sq = simd::load<V>(v + i) * V(beta2) + V(one_minus_beta2) * grad * grad;
      simd::store(m + i, exp_avg);
      simd::store(v + i, exp_avg_sq);
      if (s.amsgrad) {
        exp_avg_sq = simd::max(simd::load<V>(vmax + i), exp_avg_sq);
        simd::store(vmax + i, exp_avg_sq);
      }
      const V denom = simd::sqrt(exp_avg_sq) / V(bias_correction2_sqrt) + V(eps);
      simd::store(p + i, param + V(neg_step_size) * exp_avg / denom);
    });
  }

  static void scale(T* g, T c, std::size_t begin, std::size_t end) {
    simd::for_each<T, Arch>(end - begin, [&]<class V>(std::size_t k) {
      simd::store(g + begin + k, simd::load<V>(g + begin + k) * V(c));
    });
  }

  static double sum_of_powers(const T* g, std::size_t begin, std::size_t end, double p) {
    if (p == 2) return sum(g, begin, end, [](double a) { return a * a; });
    if (p == 1) return sum(g, begin, end, [](double a) { return std::abs(a); });
    return sum(g, begin, end, [p](double a) { return std::pow(std::abs(a), p); });
  }

  template <class Term>
  static double sum(const T* g, std::size_t begin, std::size_t end, Term term) {
    constexpr std::size_t kLanes = 8;
    double lanes[kLanes] = {};
    std::size_t i = begin;
    for (; i + kLanes <= end; i += kLanes)
      for (std::size_t j = 0; j < kLanes; ++j) lanes[j] += term(double(g[i + j]));
    for (std::size_t j = 0; i < end; ++i, ++j) lanes[j] += term(double(g[i]));
    double total = 0;
    for (double lane : lanes) total += lane;
    return total;
  }

  static UpdateKernels<T> table() { return {sgd, adam, scale, sum_of_powers}; }
};

}  // namespace tg::optim::detail
