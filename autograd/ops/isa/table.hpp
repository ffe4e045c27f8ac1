#pragma once
// The SIMD kernels of the ops, as a table of functions per instruction set. The library itself is
// compiled for baseline x86-64, so that it runs on any x86-64 CPU; the kernels that carry the hot
// loops (rows of softmax and cross-entropy, the recurrent gate math) are compiled once per
// instruction set (isa/<name>.cpp, each with its own -m flags) and the best one the CPU runs is
// chosen when first used (dispatch.cpp). The callers go through kernels.hpp and rnn/kernels.hpp.
#include <cstddef>

namespace tg::detail::isa {

/// One instruction set's kernels for element type T. The meaning of each entry is documented where
/// the ops call it: the row kernels in kernels.hpp, the gate math in rnn/kernels.hpp, the maps in
/// elementwise.cpp.
template <class T>
struct KernelTable {
  const char* isa;  // "avx512", "avx2" or "sse2"

  T (*row_max)(const T* x, std::size_t n);
  T (*row_dot)(const T* a, const T* b, std::size_t n);
  T (*exp_sum)(const T* x, T shift, T* y, std::size_t n);
  void (*scaled_exp)(const T* x, T shift, T scale, T* dst, std::size_t n, bool add);

  void (*rnn_forward)(std::size_t count, const T* gx, T* y, bool relu);
  void (*rnn_backward)(std::size_t count, const T* y, const T* dy, T* d_a, bool relu);
  void (*lstm_forward)(std::size_t n, std::size_t H, const T* gx, T* acts, const T* c_old, T* y, T* c_new);
  void (*lstm_backward)(std::size_t n, std::size_t H, const T* acts, const T* c_old, const T* c_new, const T* dy,
                        const T* dc_out, T* d_a, T* dc_prev);
  void (*gru_gates)(std::size_t n, std::size_t H, const T* h, const T* gx, T* acts, T* y, bool reset_after);
  void (*gru_candidate)(std::size_t n, std::size_t H, const T* h, const T* gx, T* acts, T* y);
  void (*gru_update_grads)(std::size_t n, std::size_t H, const T* h, const T* acts, const T* dy, T* d_x, T* d_gh);
  void (*gru_reset_grads)(std::size_t n, std::size_t H, const T* h, const T* acts, const T* d_rh, T* d_x);
  void (*gru_state_grad_rest)(std::size_t n, std::size_t H, const T* acts, const T* dy, const T* d_rh, T* dh,
                              bool reset_after);

  // y = f(x) over n contiguous values, for the elementwise ops of the same names (elementwise.cpp).
  void (*map_tanh)(const T* x, T* y, std::size_t n);
  void (*map_sigmoid)(const T* x, T* y, std::size_t n);
  void (*map_exp)(const T* x, T* y, std::size_t n);
};

/// The instruction sets tapegrad has kernels for. Other layers' kernel tables (optim/isa/) pick
/// theirs by the one in use.
enum class Isa { sse2, avx2, avx512 };
Isa active_isa();

/// The table of the instruction set in use (see tg::simd_isa).
template <class T>
const KernelTable<T>& kernels();

/// The table compiled for instruction set Arch (an xsimd architecture), defined in isa/<name>.cpp.
template <class Arch, class T>
KernelTable<T> table_for();

}  // namespace tg::detail::isa
