#pragma once
// Row-major GEMM on contiguous buffers, for float and double: single-threaded cblas calls, large
// products split over the threads of tg::set_num_threads (blas.cpp).
#include "autograd/memory.hpp"
#include "autograd/tensor.hpp"

#include <cstddef>
#include <memory>
#include <vector>

namespace tg::detail {

/// C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X^T when trans_x. op(A) is m x k,
/// op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of A, B, C as stored. With a `row`
/// (n values, a bias), C = alpha * op(A) op(B) + row in every row, beta unused: the bits of `row`
/// copied into C with beta = 1, without the pass that copies it (the AVX-512 GEMM adds it as it stores).
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, const T* row = nullptr);

/// gemm(true, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) and add_column_sums(k, m, a, lda, sums),
/// the same bits, in one pass over A where the AVX-512 GEMM runs it (it adds A's columns up as it
/// gathers them): a weight gradient dW = dA^T X with its bias's, db = the column sums of dA.
template <class T>
void gemm_with_column_sums(bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                           std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, T* sums);

/// Whether every product of T gives the same bits however it is cut into blocks of rows or columns:
/// float products on tapegrad's AVX-512 GEMM do; BLAS's kernels do not (docs/design.md, Threads).
/// Where they do, work is cut for the threads that will run it; elsewhere by its shape alone.
template <class T>
bool cut_keeps_bits();

/// sums[j] += x[0, j] + x[1, j] + ... + x[rows - 1, j] for j < cols, x row-major with row stride ld
/// (a bias gradient: the column sums of dY). Each column is summed over the rows in order, so the
/// bits are the same however the columns are shared among the threads.
template <class T>
void add_column_sums(std::size_t rows, std::size_t cols, const T* x, std::size_t ld, T* sums);

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
  std::vector<float, tg::BufferAllocator<float>> panels;  // empty: a view
};

/// gemm(trans_a, b.trans_b, m, b.n, b.k, alpha, a, lda, b.b, b.ldb, beta, c, ldc, row), the same
/// bits, reading the panels of `b` when it has them.
template <class T>
void gemm_packed(bool trans_a, std::size_t m, T alpha, const T* a, std::size_t lda, const PackedB<T>& b, T beta,
                 T* c, std::size_t ldc, const T* row = nullptr);

/// While one is open on a thread, products there by a parameter (a tensor that requires grad) reuse
/// one packing of it, made at its first product, instead of packing it again at every call. For
/// loops that multiply by the same weights many times and change none of them: greedy and beam
/// decoding open one for their call (packing W^T was 15% of a greedy decode), and a decoder's
/// teacher-forced forward for its steps. The packings go when it closes (and when the backward
/// nodes that took some are freed).
class ReusePackedWeights {
 public:
  ReusePackedWeights();
  ~ReusePackedWeights();
  ReusePackedWeights(const ReusePackedWeights&) = delete;
  ReusePackedWeights& operator=(const ReusePackedWeights&) = delete;

  struct Entry;

 private:
  ReusePackedWeights* outer_;
  std::vector<Entry> entries_;  // Entry is complete where they are made and destroyed (blas.cpp)
  template <class T>
  friend std::shared_ptr<const PackedB<T>> reused_packing(const Tensor&, bool, std::size_t, std::size_t);
};

/// op(B) of `weight` (a row-major (rows, cols) array; op(B) is k x n) packed, from the innermost
/// ReusePackedWeights open on this thread, when there is one and `weight` requires grad; else null.
template <class T>
std::shared_ptr<const PackedB<T>> reused_packing(const Tensor& weight, bool trans_b, std::size_t k, std::size_t n);

}  // namespace tg::detail
