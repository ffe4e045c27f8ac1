#pragma once
// The kernels of table.hpp, written once over an xsimd instruction set Arch. Only isa/<name>.cpp
// includes this file, each compiled with its instruction set's flags. Everything here is a member of
// Bodies<Arch, T> or has internal linkage (simd.hpp), so no function compiled with AVX2 can share a
// symbol with a baseline one and be picked by the linker for both (tests/autograd/isa_test.cpp).
#include "autograd/ops/isa/table.hpp"
#include "autograd/ops/simd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tg::detail::isa {

template <class Arch, class T>
struct Bodies {
  using B = xsimd::batch<T, Arch>;
  static constexpr std::size_t kLanes = B::size;

  // ---- rows (kernels.hpp) ---------------------------------------------------------------------

  static T row_max(const T* x, std::size_t n) {
    T m = -std::numeric_limits<T>::infinity();
    std::size_t i = 0;
    if (n >= kLanes) {
      B acc = B::load_unaligned(x);
      for (i = kLanes; i + kLanes <= n; i += kLanes) acc = xsimd::max(acc, B::load_unaligned(x + i));
      alignas(64) T lanes[kLanes];
      acc.store_aligned(lanes);
      for (T v : lanes) m = v > m ? v : m;
    }
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
  }

  static T row_dot(const T* a, const T* b, std::size_t n) {
    B acc(T(0));
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      acc += b ? B::load_unaligned(a + i) * B::load_unaligned(b + i) : B::load_unaligned(a + i);
    T total = xsimd::hadd(acc);
    for (; i < n; ++i) total += b ? a[i] * b[i] : a[i];
    return total;
  }

  static T exp_sum(const T* x, T shift, T* y, std::size_t n) {
    const B s(shift);
    B acc(T(0));
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
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

  static void scaled_exp(const T* x, T shift, T scale, T* dst, std::size_t n, bool add) {
    const B s(shift), c(scale);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      B v = c * xsimd::exp(B::load_unaligned(x + i) - s);
      if (add) v += B::load_unaligned(dst + i);
      v.store_unaligned(dst + i);
    }
    for (; i < n; ++i) dst[i] = (add ? dst[i] : T(0)) + scale * std::exp(x[i] - shift);
  }

  // ---- Elman (rnn/kernels.hpp) ----------------------------------------------------------------

  static void rnn_forward(std::size_t count, const T* gx, T* y, bool relu) {
    if (relu) {
      for (std::size_t k = 0; k < count; ++k) y[k] = y[k] + gx[k] > T(0) ? y[k] + gx[k] : T(0);
      return;
    }
    simd::for_each<T, Arch>(count, [&]<class V>(std::size_t k) {
      simd::store(y + k, simd::tanh(simd::load<V>(y + k) + simd::load<V>(gx + k)));
    });
  }

  static void rnn_backward(std::size_t count, const T* y, const T* dy, T* d_a, bool relu) {
    if (relu) {
      for (std::size_t k = 0; k < count; ++k) d_a[k] = y[k] > T(0) ? dy[k] : T(0);
      return;
    }
    simd::for_each<T, Arch>(count, [&]<class V>(std::size_t k) {
      const V yk = simd::load<V>(y + k);
      simd::store(d_a + k, simd::load<V>(dy + k) * (V(1) - yk * yk));
    });
  }

  // ---- LSTM -----------------------------------------------------------------------------------

  static void lstm_forward(std::size_t n, std::size_t H, const T* gx, T* acts, const T* c_old, T* y, T* c_new) {
    using simd::load;
    const std::size_t G = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      T* a = acts + r * G;
      const T* x = gx + r * G;
      const std::size_t k = r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        const V i = simd::sigmoid(load<V>(a + j) + load<V>(x + j));
        const V f = simd::sigmoid(load<V>(a + H + j) + load<V>(x + H + j));
        const V g = simd::tanh(load<V>(a + 2 * H + j) + load<V>(x + 2 * H + j));
        const V o = simd::sigmoid(load<V>(a + 3 * H + j) + load<V>(x + 3 * H + j));
        simd::store(a + j, i), simd::store(a + H + j, f);
        simd::store(a + 2 * H + j, g), simd::store(a + 3 * H + j, o);
        const V cn = f * load<V>(c_old + k + j) + i * g;
        simd::store(c_new + k + j, cn);
        simd::store(y + k + j, o * simd::tanh(cn));
      });
    }
  }

  static void lstm_backward(std::size_t n, std::size_t H, const T* acts, const T* c_old, const T* c_new, const T* dy,
                            const T* dc_out, T* d_a, T* dc_prev) {
    using simd::load;
    const std::size_t G = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      const T* a = acts + r * G;
      T* da = d_a + r * G;
      const std::size_t k = r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        const V i = load<V>(a + j), f = load<V>(a + H + j), g = load<V>(a + 2 * H + j), o = load<V>(a + 3 * H + j);
        const V tc = simd::tanh(load<V>(c_new + k + j)), d_y = load<V>(dy + k + j);
        const V dc = load<V>(dc_out + k + j) + d_y * o * (V(1) - tc * tc);
        simd::store(da + j, dc * g * i * (V(1) - i));
        simd::store(da + H + j, dc * load<V>(c_old + k + j) * f * (V(1) - f));
        simd::store(da + 2 * H + j, dc * i * (V(1) - g * g));
        simd::store(da + 3 * H + j, d_y * tc * o * (V(1) - o));
        if (dc_prev) simd::store(dc_prev + k + j, dc * f);
      });
    }
  }

  // ---- GRU: acts (n, 4H) holds r, z, n and `extra` (gh_n with reset_after, else r * h) -----------

  /// r and z of lanes j.. of a row from gh (in a on entry) and x, stored in a; returns r.
  template <class V>
  static V gru_reset_and_update(T* a, const T* x, std::size_t H, std::size_t j) {
    using simd::load;
    const V rr = simd::sigmoid(load<V>(a + j) + load<V>(x + j));
    simd::store(a + j, rr);
    simd::store(a + H + j, simd::sigmoid(load<V>(a + H + j) + load<V>(x + H + j)));
    return rr;
  }

  /// n = tanh(x_n + gh_n) stored in a, and y = (1 - z) n + z h, for lanes j.. of a row.
  template <class V>
  static void gru_new_state(T* a, const T* x, const T* h, T* y, std::size_t H, std::size_t j, V gh_n) {
    using simd::load;
    const V nn = simd::tanh(load<V>(x + 2 * H + j) + gh_n), z = load<V>(a + H + j);
    simd::store(a + 2 * H + j, nn);
    simd::store(y + j, (V(1) - z) * nn + z * load<V>(h + j));
  }

  static void gru_gates(std::size_t n, std::size_t H, const T* h, const T* gx, T* acts, T* y, bool reset_after) {
    using simd::load;
    const std::size_t L = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      T* a = acts + r * L;
      const T* x = gx + r * 3 * H;
      const T* hr = h + r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        const V rr = gru_reset_and_update<V>(a, x, H, j);
        if (!reset_after) return simd::store(a + 3 * H + j, rr * load<V>(hr + j));
        const V gh_n = load<V>(a + 2 * H + j);  // kept as `extra` before n takes its place
        simd::store(a + 3 * H + j, gh_n);
        gru_new_state<V>(a, x, hr, y + r * H, H, j, rr * gh_n);
      });
    }
  }

  static void gru_candidate(std::size_t n, std::size_t H, const T* h, const T* gx, T* acts, T* y) {
    const std::size_t L = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      T* a = acts + r * L;
      const T* x = gx + r * 3 * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        gru_new_state<V>(a, x, h + r * H, y + r * H, H, j, simd::load<V>(a + 2 * H + j));
      });
    }
  }

  static void gru_update_grads(std::size_t n, std::size_t H, const T* h, const T* acts, const T* dy, T* d_x,
                               T* d_gh) {
    using simd::load;
    const std::size_t L = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      const T* a = acts + r * L;
      T* dx = d_x + r * 3 * H;
      T* dg = d_gh ? d_gh + r * 3 * H : nullptr;
      const std::size_t k = r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        const V z = load<V>(a + H + j), nn = load<V>(a + 2 * H + j), d_y = load<V>(dy + k + j);
        const V dz = d_y * (load<V>(h + k + j) - nn) * z * (V(1) - z), dn = d_y * (V(1) - z) * (V(1) - nn * nn);
        simd::store(dx + H + j, dz);
        simd::store(dx + 2 * H + j, dn);
        if (!dg) return;
        const V rr = load<V>(a + j);  // reset_after: d (h W^T + b) differs from d_x in the n block
        simd::store(dg + H + j, dz);
        simd::store(dg + 2 * H + j, dn * rr);
        const V dr = dn * load<V>(a + 3 * H + j) * rr * (V(1) - rr);
        simd::store(dx + j, dr);
        simd::store(dg + j, dr);
      });
    }
  }

  static void gru_reset_grads(std::size_t n, std::size_t H, const T* h, const T* acts, const T* d_rh, T* d_x) {
    using simd::load;
    const std::size_t L = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      const T* a = acts + r * L;
      T* dx = d_x + r * 3 * H;
      const std::size_t k = r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        const V rr = load<V>(a + j);
        simd::store(dx + j, load<V>(d_rh + k + j) * load<V>(h + k + j) * rr * (V(1) - rr));
      });
    }
  }

  static void gru_state_grad_rest(std::size_t n, std::size_t H, const T* acts, const T* dy, const T* d_rh, T* dh,
                                  bool reset_after) {
    using simd::load;
    const std::size_t L = 4 * H;
    for (std::size_t r = 0; r < n; ++r) {
      const T* a = acts + r * L;
      const std::size_t k = r * H;
      simd::for_each<T, Arch>(H, [&]<class V>(std::size_t j) {
        V rest = load<V>(dy + k + j) * load<V>(a + H + j);
        if (!reset_after) rest = rest + load<V>(d_rh + k + j) * load<V>(a + j);
        simd::store(dh + k + j, load<V>(dh + k + j) + rest);
      });
    }
  }

  // ---- elementwise maps (elementwise.cpp) -------------------------------------------------------

  static void map_tanh(const T* x, T* y, std::size_t n) {
    simd::for_each<T, Arch>(n, [&]<class V>(std::size_t i) { simd::store(y + i, simd::tanh(simd::load<V>(x + i))); });
  }

  static void map_sigmoid(const T* x, T* y, std::size_t n) {
    simd::for_each<T, Arch>(n, [&]<class V>(std::size_t i) { simd::store(y + i, simd::sigmoid(simd::load<V>(x + i))); });
  }

  static void map_exp(const T* x, T* y, std::size_t n) {
    simd::for_each<T, Arch>(n, [&]<class V>(std::size_t i) { simd::store(y + i, simd::exp(simd::load<V>(x + i))); });
  }

  static KernelTable<T> table(const char* isa) {
    return {isa,          row_max,           row_dot,          exp_sum,
            scaled_exp,   rnn_forward,       rnn_backward,     lstm_forward,
            lstm_backward, gru_gates,        gru_candidate,    gru_update_grads,
            gru_reset_grads, gru_state_grad_rest, map_tanh,
            map_sigmoid,  map_exp};
  }
};

}  // namespace tg::detail::isa
