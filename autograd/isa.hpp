#pragma once
// Which SIMD instruction set tapegrad's kernels run on. The library is built for any x86-64 CPU and
// picks, when first used, the best kernels the CPU runs: "avx512" (AVX-512F and DQ), "avx2" (AVX2 +
// FMA) or "sse2". They give results that agree to rounding but not to the bit, so two machines give
// the same bits only on the same instruction set: `TAPEGRAD_ISA=avx2` in the environment, or
// set_simd_isa("avx2"), makes every machine that runs AVX2 use its kernels, and "sse2" every machine. Float products run on tapegrad's AVX-512 GEMM
// where the CPU has AVX-512F, except with the baseline ("sse2"), which leaves them to OpenBLAS.

#include <string>
#include <vector>

namespace tg {

/// The instruction set the kernels run on now: "avx512", "avx2" or "sse2".
std::string simd_isa();
/// The instruction sets this CPU can run, best first.
std::vector<std::string> available_simd_isas();
/// Runs the kernels on `isa` from now on; a ValueError names the ones this CPU runs when it is
/// not one of them. Not for use while ops run on other threads.
void set_simd_isa(const std::string& isa);

}  // namespace tg
