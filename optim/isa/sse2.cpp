// The optimizers' kernels for SSE2, which every x86-64 CPU runs.
#include "optim/isa/bodies.hpp"

namespace tg::optim::detail {

template <>
UpdateKernels<float> update_kernels_for<xsimd::sse2, float>() {
  return UpdateBodies<xsimd::sse2, float>::table();
}
template <>
UpdateKernels<double> update_kernels_for<xsimd::sse2, double>() {
  return UpdateBodies<xsimd::sse2, double>::table();
}

}  // namespace tg::optim::detail
