#pragma once
// Row-major GEMM on contiguous buffers, for float and double: single-threaded cblas calls, large
// products split over the threads of tg::set_num_threads (blas.cpp).
#include <xsimd/memory/xsimd_aligned_allocator.hpp>

#include <cstddef>
#include <vector>

namespace tg::detail {

/// C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X^T when trans_x. op(A) is m x k,
/// op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of A, B, C as stored.
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

/// op(B) of many products with the same B, such as a recurrent weight at every step of a sequence:
/// packed once here where float products run on tapegrad's AVX-512 GEMM, so that gemm_packed does
/// not pack it again on every call; elsewhere only a view of B. op(B) is k x n, B stored row-major
/// with row stride ldb, and it must outlive this object and not change while it is used.
template <class T>
struct PackedB {
  PackedB() = default;
  PackedB(bool trans_b, std::size_t k, std::size_t n, const T* b, std::size_t ldb);

  bool trans_b = false;
  std::size_t k = 0, n = 0;
  const T* b = nullptr;
  std::size_t ldb = 0;
  std::vector<float, xsimd::aligned_allocator<float, 64>> panels;  // empty: a view
};

/// gemm(trans_a, b.trans_b, m, b.n, b.k, alpha, a, lda, b.b, b.ldb, beta, c, ldc), the same bits,
/// reading the panels of `b` when it has them.
template <class T>
void gemm_packed(bool trans_a, std::size_t m, T alpha, const T* a, std::size_t lda, const PackedB<T>& b, T beta,
                 T* c, std::size_t ldc);

}  // namespace tg::detail
