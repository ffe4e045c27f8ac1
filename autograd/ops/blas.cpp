#include "autograd/ops/blas.hpp"

#include "autograd/ops/gemm_avx512.hpp"
#include "autograd/ops/isa/table.hpp"
#include "autograd/threads.hpp"

#include <cblas.h>

#include <algorithm>
#include <mutex>
#include <type_traits>
#include <vector>

namespace tg::detail {

namespace {

CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }
int i(std::size_t v) { return static_cast<int>(v); }

// OpenBLAS runs on one thread, always: tapegrad splits a large product into blocks of rows or
// columns and runs the blocks as TBB tasks. TBB is then the only thread pool, so no idle OpenBLAS
// thread spins on a core that a TBB task needs (docs/design.md, Threads).
const bool blas_single_threaded = [] {
  openblas_set_num_threads(1);
  return true;
}();

// Below this many FLOPs per block, handing a block to another thread costs more than it saves.
constexpr std::size_t kMinFlopsPerBlock = std::size_t{1} << 22;
// Blocks start at multiples of this many rows or columns, a whole number of BLAS micro-panels.
constexpr std::size_t kBlockAlign = 32;
// The AVX-512 GEMM's blocks of columns: at least two of its 48-column panels each, edges on vectors.
constexpr std::size_t kMinColumnsPerBlock = 96, kColumnAlign = 16;
// Column sums of fewer values than this stay one piece.
constexpr std::size_t kMinFloatsPerColumnSplit = std::size_t{1} << 16;

/// Float products run on tapegrad's AVX-512 GEMM where the CPU has AVX-512F, unless the baseline
/// kernels were chosen (TAPEGRAD_ISA=sse2, tg::set_simd_isa): OpenBLAS 0.3.21 runs its AVX2
/// kernels on AVX-512 CPUs it does not know, at half of what they can do (gemm_avx512.cpp).
bool avx512_gemm() {
  static const bool cpu_has_it = [] {
    __builtin_cpu_init();  // in case this runs before the CPU model is read (a static initialiser)
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return cpu_has_it && isa::active_isa() != isa::Isa::sse2;
}

/// The AVX-512 GEMM's packing buffers, shared by every thread: a product takes one and gives it back.
/// Buffers kept per thread would be faulted in by each TBB worker at its first product, whenever
/// that comes (a page-fault-free steady state is tested: tests/reliability/page_faults_test.cpp);
/// these are made and written together, one per thread, when the first product finds none free.
class PackBuffers {
 public:
  using Buffer = std::vector<float, tg::BufferAllocator<float>>;
  static constexpr std::size_t kFloats = kGemmPackFloats;

  Buffer take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {  // the first time one per thread, later (more threads than then) one more
      const auto threads = static_cast<std::size_t>(get_num_threads());
      for (std::size_t i = 0, n = made_ < threads ? threads - made_ : 1; i < n; ++i, ++made_) free_.emplace_back(kFloats);
    }
    Buffer b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void give(Buffer b) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mutex_;
  std::vector<Buffer> free_;
  std::size_t made_ = 0;
};

/// sgemm_avx512, with a packing buffer from the shared pool unless op(B) comes packed.
void avx512_product(const GemmOperands& g, const float* packed_b) {
  if (packed_b) return sgemm_avx512(g, packed_b, nullptr);
  static PackBuffers pool;
  PackBuffers::Buffer buffer = pool.take();
  sgemm_avx512(g, nullptr, buffer.data());
  pool.give(std::move(buffer));
}

template <class T>
void blas_gemv(bool trans, std::size_t rows, std::size_t cols, T alpha, const T* a, std::size_t lda, const T* x,
               std::size_t incx, T beta, T* y, std::size_t incy) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemv(CblasRowMajor, op(trans), i(rows), i(cols), alpha, a, i(lda), x, i(incx), beta, y, i(incy));
  else
    cblas_dgemv(CblasRowMajor, op(trans), i(rows), i(cols), alpha, a, i(lda), x, i(incx), beta, y, i(incy));
}

/// Whether a product has one row (or one column) of C and runs as a matrix-vector product. gemm
/// would copy the whole other operand into its packed panels on every call, which for one row costs
/// as much as the arithmetic (half of a batch-1 decoding step); gemv reads it once, in place.
bool is_gemv(std::size_t m, std::size_t n, std::size_t k) { return (m == 1 || n == 1) && k > 0; }

/// One block of gemm; `a_sums` only on the AVX-512 GEMM with a transposed op(A) (gemm_blocks).
template <class T>
void blas_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
               const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, const T* row, T* a_sums = nullptr) {
  if constexpr (std::is_same_v<T, float>) {
    if (avx512_gemm() && !is_gemv(m, n, k))
      return avx512_product({ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, row, a_sums}, nullptr);
  }
  if (row) {  // BLAS adds only beta C: C's rows start as `row`
    for (std::size_t r = 0; r < m; ++r) std::copy(row, row + n, c + r * ldc);
    beta = 1;
  }
  if (m == 1 && k > 0) {  // c = op(B)^T a; B is stored k x n, or n x k when transposed
    const std::size_t inc_a = ta ? lda : 1;
    return tb ? blas_gemv(false, n, k, alpha, b, ldb, a, inc_a, beta, c, 1)
              : blas_gemv(true, k, n, alpha, b, ldb, a, inc_a, beta, c, 1);
  }
  if (n == 1 && k > 0) {  // c = op(A) b; A is stored m x k, or k x m when transposed
    const std::size_t inc_b = tb ? 1 : ldb;
    return ta ? blas_gemv(true, k, m, alpha, a, lda, b, inc_b, beta, c, ldc)
              : blas_gemv(false, m, k, alpha, a, lda, b, inc_b, beta, c, ldc);
  }
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
  else
    cblas_dgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
}

/// How many blocks to split an m x n x k product into for BLAS: a function of the shape only (and of
/// whether this thread is already one of several tasks sharing the cores), never of the thread
/// count. BLAS kernels sum each element of C in an order that depends on where the element sits in
/// the block around it, so the same blocks must be computed on 1 thread as on 4.
std::size_t block_count(std::size_t m, std::size_t n, std::size_t k) {
  if (in_parallel_task()) return 1;
  const std::size_t flops = 2 * m * n * k;
  const std::size_t widest = std::max(m, n);
  return std::max<std::size_t>(1, std::min({kMaxPieces, flops / kMinFlopsPerBlock, widest / kBlockAlign}));
}

/// The size of each of `blocks` pieces of `extent` rows or columns, rounded up to `align`.
std::size_t aligned_block(std::size_t extent, std::size_t blocks, std::size_t align = kBlockAlign) {
  if (blocks < 2) return extent;
  return ((extent + blocks - 1) / blocks + align - 1) / align * align;
}

/// The blocks of a product: how many, of rows or of columns, and what their edges are multiples of.
struct Cut {
  std::size_t blocks;
  bool by_rows;
  std::size_t align;
};

template <class T>
Cut cut(std::size_t m, std::size_t n, std::size_t k) {
  // Only float products are split: float64 is for checking gradients, where time matters less.
  if (!std::is_same_v<T, float>) return {1, true, kBlockAlign};
  const std::size_t blocks = block_count(m, n, k);
  // tapegrad's AVX-512 GEMM sums each element of C the same way whatever the blocks around it, so
  // its products are cut only for threads that will run the blocks (one thread: not at all, and
  // op(B) is packed once). Which side: each block of columns reads all of op(A) (a transposed one
  // gathered, tile by tile), each block of rows packs all of op(B), so the wider side of C is cut,
  // as below, and columns only while each block keeps two panels. (Measured on the recurrent
  // layers' products, 2 threads: blocks of rows of m >= n took 0.90-0.99 of the time of blocks of
  // columns, and blocks of columns of m = 1120 < n = 2048 0.96-0.98 of that of rows.) A product
  // with one row or column is a gemv, cut by its shape as below.
  if (cut_keeps_bits<T>() && !is_gemv(m, n, k)) {
    const std::size_t threads = std::min(blocks, static_cast<std::size_t>(get_num_threads()));
    const bool by_columns = threads > 1 && n > m && n / threads >= kMinColumnsPerBlock;
    return {threads, !by_columns, by_columns ? kColumnAlign : kBlockAlign};
  }
  // Split the wider side of C, so that the operand every block packs again whole is the smaller one.
  return {blocks, m >= n, kBlockAlign};
}

/// gemm, cut into blocks for the threads; with `a_sums` (a transposed op(A) on the AVX-512 GEMM),
/// the block that reads each row of op(A) also adds its sum into a_sums (gemm_with_column_sums).
template <class T>
void gemm_blocks(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
                 const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, const T* row, T* a_sums) {
  if (m == 0 || n == 0) return;
  const auto [blocks, by_rows, align] = cut<T>(m, n, k);
  if (blocks < 2) return blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, row, a_sums);
  const std::size_t extent = by_rows ? m : n;
  const std::size_t block = aligned_block(extent, blocks, align);
  parallel_tasks((extent + block - 1) / block, [&](std::size_t part) {
    const std::size_t begin = part * block, size = std::min(block, extent - begin);
    if (by_rows)
      blas_gemm(ta, tb, size, n, k, alpha, ta ? a + begin : a + begin * lda, lda, b, ldb, beta, c + begin * ldc, ldc,
                row, a_sums ? a_sums + begin : nullptr);
    else  // every block of columns reads all of op(A): the first sums it
      blas_gemm(ta, tb, m, size, k, alpha, a, lda, tb ? b + begin * ldb : b + begin, ldb, beta, c + begin, ldc,
                row ? row + begin : nullptr, begin == 0 ? a_sums : nullptr);
  });
}

}  // namespace

template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, const T* row) {
  gemm_blocks<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, row, nullptr);
}

template <class T>
void gemm_with_column_sums(bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                           std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, T* sums) {
  if constexpr (std::is_same_v<T, float>) {
    if (avx512_gemm() && !is_gemv(m, n, k) && n > 0)
      return gemm_blocks<T>(true, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nullptr, sums);
  }
  gemm<T>(true, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  add_column_sums<T>(k, m, a, lda, sums);
}

template <>
bool cut_keeps_bits<float>() {
  return avx512_gemm();
}
template <>
bool cut_keeps_bits<double>() {
  return false;
}

template <class T>
void add_column_sums(std::size_t rows, std::size_t cols, const T* x, std::size_t ld, T* sums) {
  // A pass over all of dY, run on the one thread while the other waited (2% of a 2-thread W1 step):
  // split by columns, each piece a run of whole vectors.
  const bool split = rows * cols >= kMinFloatsPerColumnSplit && cols >= 2 * kColumnAlign && !in_parallel_task();
  const std::size_t pieces = split ? std::min<std::size_t>(kMaxPieces, get_num_threads()) : 1;
  const std::size_t width = aligned_block(cols, pieces, kColumnAlign);
  parallel_tasks((cols + width - 1) / width, [&](std::size_t part) {
    const std::size_t begin = part * width, end = std::min(cols, begin + width);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = begin; j < end; ++j) sums[j] += x[r * ld + j];
  });
}

template <class T>
PackedB<T>::PackedB(bool trans_b_, std::size_t k_, std::size_t n_, const T* b_, std::size_t ldb_)
    : trans_b(trans_b_), k(k_), n(n_), b(b_), ldb(ldb_) {
  if constexpr (std::is_same_v<T, float>) {
    if (!avx512_gemm() || k == 0 || n < 2) return;  // n = 1 is a gemv
    const GemmOperands g{false, trans_b, 0, n, k, 1, nullptr, 0, b, ldb, 0, nullptr, 0};
    panels.resize(sgemm_avx512_packed_b_floats(k, n));
    sgemm_avx512_pack_b(g, panels.data());
  }
}

template <class T>
void gemm_packed(bool ta, std::size_t m, T alpha, const T* a, std::size_t lda, const PackedB<T>& b, T beta, T* c,
                 std::size_t ldc, const T* row) {
  // The panels serve every product but a gemv (m = 1), which runs as gemm. One that gemm would
  // split is split by rows here, every piece reading the same panels. (The kernel sums each element
  // the same way wherever it sits: the same bits.)
  if constexpr (std::is_same_v<T, float>) {
    if (!b.panels.empty() && m > 1 && avx512_gemm()) {
      const std::size_t rows = aligned_block(m, std::min(block_count(m, b.n, b.k), (m + kBlockAlign - 1) / kBlockAlign));
      parallel_tasks((m + rows - 1) / rows, [&](std::size_t part) {
        const std::size_t begin = part * rows, size = std::min(rows, m - begin);
        avx512_product({ta, b.trans_b, size, b.n, b.k, alpha, ta ? a + begin : a + begin * lda, lda, nullptr, 0, beta,
                        c + begin * ldc, ldc, row},
                       b.panels.data());
      });
      return;
    }
  }
  gemm<T>(ta, b.trans_b, m, b.n, b.k, alpha, a, lda, b.b, b.ldb, beta, c, ldc, row);
}

namespace {
thread_local ReusePackedWeights* open_reuse = nullptr;
}  // namespace

/// One reused packing: the tensor it belongs to (held, so its memory cannot become another's), the
/// data pointer and product shape it was made for, and the panels.
struct ReusePackedWeights::Entry {
  Tensor owner;
  const void* data;
  bool trans_b;
  std::size_t k, n;
  std::shared_ptr<const void> packed;  // a PackedB<T>
};

ReusePackedWeights::ReusePackedWeights() : outer_(open_reuse) { open_reuse = this; }
ReusePackedWeights::~ReusePackedWeights() { open_reuse = outer_; }

template <class T>
std::shared_ptr<const PackedB<T>> reused_packing(const Tensor& weight, bool trans_b, std::size_t k, std::size_t n) {
  ReusePackedWeights* scope = open_reuse;
  if (!scope || !weight.requires_grad() || weight.dtype() != dtype_of<T>) return nullptr;
  const T* data = weight.data<T>().data();
  for (const ReusePackedWeights::Entry& e : scope->entries_)
    if (e.owner.impl_ptr() == weight.impl_ptr() && e.data == data && e.trans_b == trans_b && e.k == k && e.n == n)
      return std::static_pointer_cast<const PackedB<T>>(e.packed);
  const std::size_t ldb = trans_b ? k : n;  // B is stored (n, k) for op(B) = B^T, else (k, n)
  auto packed = std::make_shared<const PackedB<T>>(trans_b, k, n, data, ldb);
  scope->entries_.push_back({weight, data, trans_b, k, n, packed});
  return packed;
}

template std::shared_ptr<const PackedB<float>> reused_packing<float>(const Tensor&, bool, std::size_t, std::size_t);
template std::shared_ptr<const PackedB<double>> reused_packing<double>(const Tensor&, bool, std::size_t, std::size_t);
template struct PackedB<float>;
template struct PackedB<double>;
template void gemm_packed<float>(bool, std::size_t, float, const float*, std::size_t, const PackedB<float>&, float,
                                 float*, std::size_t, const float*);
template void gemm_packed<double>(bool, std::size_t, double, const double*, std::size_t, const PackedB<double>&,
                                  double, double*, std::size_t, const double*);
template void add_column_sums<float>(std::size_t, std::size_t, const float*, std::size_t, float*);
template void add_column_sums<double>(std::size_t, std::size_t, const double*, std::size_t, double*);
template void gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                          const float*, std::size_t, float, float*, std::size_t, const float*);
template void gemm_with_column_sums<float>(bool, std::size_t, std::size_t, std::size_t, float, const float*,
                                           std::size_t, const float*, std::size_t, float, float*, std::size_t, float*);
template void gemm_with_column_sums<double>(bool, std::size_t, std::size_t, std::size_t, double, const double*,
                                            std::size_t, const double*, std::size_t, double, double*, std::size_t,
                                            double*);
template void gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                           const double*, std::size_t, double, double*, std::size_t, const double*);

}  // namespace tg::detail
