// The kernels for SSE2, which every x86-64 CPU runs.
#include "autograd/ops/isa/bodies.hpp"

namespace tg::detail::isa {

template <>
KernelTable<float> table_for<xsimd::sse2, float>() {
  return Bodies<xsimd::sse2, float>::table("sse2");
}
template <>
KernelTable<double> table_for<xsimd::sse2, double>() {
  return Bodies<xsimd::sse2, double>::table("sse2");
}

}  // namespace tg::detail::isa
