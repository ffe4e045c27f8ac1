// The optimizers' kernels for AVX2 + FMA, compiled with -mavx2 -mfma (CMakeLists.txt).
#include "optim/isa/bodies.hpp"

namespace tg::optim::detail {

template <>
UpdateKernels<float> update_kernels_for<xsimd::fma3<xsimd::avx2>, float>() {
  return UpdateBodies<xsimd::fma3<xsimd::avx2>, float>::table();
}
template <>
UpdateKernels<double> update_kernels_for<xsimd::fma3<xsimd::avx2>, double>() {
  return UpdateBodies<xsimd::fma3<xsimd::avx2>, double>::table();
}

}  // namespace tg::optim::detail
