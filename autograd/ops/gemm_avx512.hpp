#pragma once
// tapegrad's own single-precision GEMM for CPUs with AVX-512 (gemm_avx512.cpp). Called by
// detail::gemm (blas.cpp) only where the CPU runs AVX-512F; it owns no memory.
#include <cstddef>

namespace tg::detail {

/// The blocking: op(B) is packed in blocks of kGemmKc x kGemmNc (whole panels of the 8 x 48
/// register tile's width; the last block of columns also takes a narrower remainder, up to
/// kGemmNcLast), which the caller's packing buffer of kGemmPackFloats holds; op(A) is read where it
/// is (a tile's rows of a transposed op(A) are gathered first).
inline constexpr std::size_t kGemmKc = 256, kGemmNc = 480, kGemmNcLast = kGemmNc + 48;
inline constexpr std::size_t kGemmPackFloats = kGemmKc * kGemmNcLast;

/// C = alpha op(A) op(B) + beta C, row-major, as detail::gemm; C is not read when beta is 0. With a
/// `row` (n floats), C = alpha op(A) op(B) + row in every row instead, and beta is not used.
struct GemmOperands {
  bool trans_a, trans_b;
  std::size_t m, n, k;
  float alpha;
  const float* a;
  std::size_t lda;
  const float* b;
  std::size_t ldb;
  float beta;
  float* c;
  std::size_t ldc;
  const float* row = nullptr;
  float* a_sums = nullptr;  // trans_a only: a_sums[i] += op(A)[i][0] + ... + op(A)[i][k - 1], in order
};

/// The product, packing op(B) into pack_b_buffer as it goes, or reading its panels from packed_b
/// (sgemm_avx512_pack_b's layout; b and pack_b_buffer are then not used) when that is not null.
void sgemm_avx512(const GemmOperands& g, const float* packed_b, float* pack_b_buffer);

/// How many floats the whole op(B) of a k x n product takes packed, and the packing (g's b side).
std::size_t sgemm_avx512_packed_b_floats(std::size_t k, std::size_t n);
void sgemm_avx512_pack_b(const GemmOperands& g, float* out);

}  // namespace tg::detail
