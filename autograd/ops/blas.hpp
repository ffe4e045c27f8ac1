#pragma once
// Row-major GEMM on contiguous buffers, for float and double: single-threaded cblas calls, large
// products split over the threads of tg::set_num_threads (blas.cpp).
#include <cstddef>

namespace tg::detail {

/// C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X^T when trans_x. op(A) is m x k,
/// op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of A, B, C as stored.
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

}  // namespace tg::detail
