#pragma once
// The per-element loops of the optimizers and of gradient clipping, compiled once per instruction
// set like the ops' kernels (autograd/ops/isa/) and chosen with them (tg::simd_isa). Each runs over
// [begin, end) of one parameter's buffers: one chunk of update_loop.hpp's for_each_chunk.
#include <cstddef>

namespace tg::optim::detail {

/// The scalars of one SGD step, as SGDOptions gives them.
struct SgdScalars {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
};

/// The scalars of one parameter's Adam or AdamW step, computed in double as torch does in Python,
/// then rounded to the parameter's type as torch's kernels round Python scalars.
struct AdamScalars {
  double beta1, beta2, eps, weight_decay, decay_factor, step_size, bias_correction2_sqrt;
  bool coupled_decay, amsgrad;
};

template <class T>
struct UpdateKernels {
  /// p -= lr * d, d the gradient with weight decay and (when buf is not null) momentum; `fresh`:
  /// buf is new and takes d as it is. Reads p, g, buf once and writes p, buf once.
  void (*sgd)(const SgdScalars& s, bool fresh, T* p, const T* g, T* buf, std::size_t begin, std::size_t end);
  /// One Adam step on p with moments m, v (and vmax for amsgrad, else null).
  void (*adam)(const AdamScalars& s, T* p, const T* g, T* m, T* v, T* vmax, std::size_t begin, std::size_t end);
  /// g *= c.
  void (*scale)(T* g, T c, std::size_t begin, std::size_t end);
  /// Sum of |g[i]|^p in double, as eight running sums combined in a fixed order: eight independent
  /// chains of additions keep the core busy, and the result depends only on the chunk, never on
  /// the threads.
  double (*sum_of_powers)(const T* g, std::size_t begin, std::size_t end, double p);
};

/// The kernels of the instruction set in use.
template <class T>
const UpdateKernels<T>& update_kernels();

/// The kernels compiled for instruction set Arch (optim/isa/<name>.cpp).
template <class Arch, class T>
UpdateKernels<T> update_kernels_for();

}  // namespace tg::optim::detail
