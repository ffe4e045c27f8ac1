// The kernels for AVX2 + FMA (Haswell and Zen on), compiled with -mavx2 -mfma (CMakeLists.txt).
#include "autograd/ops/isa/bodies.hpp"

namespace tg::detail::isa {

template <>
KernelTable<float> table_for<xsimd::fma3<xsimd::avx2>, float>() {
  return Bodies<xsimd::fma3<xsimd::avx2>, float>::table("avx2");
}
template <>
KernelTable<double> table_for<xsimd::fma3<xsimd::avx2>, double>() {
  return Bodies<xsimd::fma3<xsimd::avx2>, double>::table("avx2");
}

}  // namespace tg::detail::isa
