// The kernels for AVX-512F (Skylake-X, Zen 4 on), compiled with -mavx512f -mfma (CMakeLists.txt).
#include "autograd/ops/isa/bodies.hpp"

namespace tg::detail::isa {

template <>
KernelTable<float> table_for<xsimd::avx512f, float>() {
  return Bodies<xsimd::avx512f, float>::table("avx512");
}
template <>
KernelTable<double> table_for<xsimd::avx512f, double>() {
  return Bodies<xsimd::avx512f, double>::table("avx512");
}

}  // namespace tg::detail::isa
