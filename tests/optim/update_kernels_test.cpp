// The optimizers' per-element kernels on every instruction set this CPU runs: a chunk's SIMD body
// and scalar tail both start at `begin`, and nothing outside [begin, end) is touched.
#include "support/support.hpp"

#include "optim/update_kernels.hpp"

#include <cmath>

namespace tg::optim::detail {
namespace {

TEST(UpdateKernels, CoverTheChunkBodyAndTailOnEveryInstructionSet) {
  const std::string saved = simd_isa();
  for (const std::string& isa : available_simd_isas()) {
    set_simd_isa(isa);
    std::vector<float> g(40, 2.0f);
    update_kernels<float>().scale(g.data(), 0.5f, 3, 37);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i], i >= 3 && i < 37 ? 1.0f : 2.0f) << isa << " " << i;

    std::vector<double> x(29);
    double squares = 0, absolutes = 0;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(double(i)), squares += i >= 1 ? x[i] * x[i] : 0;
    for (std::size_t i = 1; i < x.size(); ++i) absolutes += std::abs(x[i]);
    EXPECT_NEAR(update_kernels<double>().sum_of_powers(x.data(), 1, x.size(), 2), squares, 1e-13) << isa;
    EXPECT_NEAR(update_kernels<double>().sum_of_powers(x.data(), 1, x.size(), 1), absolutes, 1e-13) << isa;
    EXPECT_NEAR(update_kernels<double>().sum_of_powers(x.data(), 1, x.size(), 3),
                [&] { double s = 0; for (std::size_t i = 1; i < x.size(); ++i) s += std::pow(std::abs(x[i]), 3); return s; }(),
                1e-13) << isa;
  }
  set_simd_isa(saved);
}

}  // namespace
}  // namespace tg::optim::detail
