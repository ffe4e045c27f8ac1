#include "optim/update_kernels.hpp"

#include "autograd/ops/isa/table.hpp"
#include "autograd/xt.hpp"

namespace tg::optim::detail {

// A table is built only once its instruction set is in use, which the CPU check behind it has
// allowed: building it runs code compiled for that instruction set. The updates stream their
// arrays once, at memory speed: under "avx512" they keep the AVX2 kernels.
template <class T>
const UpdateKernels<T>& update_kernels() {
  if (tg::detail::isa::active_isa() != tg::detail::isa::Isa::sse2) {
    static const UpdateKernels<T> avx2 = update_kernels_for<xsimd::fma3<xsimd::avx2>, T>();
    return avx2;
  }
  static const UpdateKernels<T> sse2 = update_kernels_for<xsimd::sse2, T>();
  return sse2;
}

template const UpdateKernels<float>& update_kernels<float>();
template const UpdateKernels<double>& update_kernels<double>();

}  // namespace tg::optim::detail
