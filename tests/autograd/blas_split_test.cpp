// Large products are split into blocks of rows or columns (autograd/ops/blas.cpp). For BLAS, by
// their shape alone: its kernels sum an element in an order that depends on where it sits in the
// block around it, so the blocks must be the same on every thread count. tapegrad's AVX-512 GEMM
// sums every element the same way in any block, so its products are cut for the threads (none on
// one). Either way, every shape, transpose and beta below gives the same bytes on 1 thread and on
// 2 and 4, including the output layer's weight gradient of issue #12 (71 x 64 over 1,120
// positions), and a product inside one of several tasks, which stays one call. Double products are
// never split.
//
// Products with one row or one column of C go to gemv instead (no packing of the other operand):
// every transpose, stride and beta against the definition, and the same bits when they are split.
// Other float products run on tapegrad's AVX-512 GEMM where the CPU has it: against the
// definition on each kernel, across its tile and block edges.
#include "support/support.hpp"

#include <autograd/ops/blas.hpp>
#include <autograd/threads.hpp>
#include <nn/rnn.hpp>

#include <cstring>
#include <limits>
#include <random>

namespace tg {
namespace {

struct Product {
  std::size_t m, n, k;
};

template <class T>
std::vector<T> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<T> u(-1, 1);
  std::vector<T> v(count);
  for (T& x : v) x = u(rng);
  return v;
}

/// C = 0.75 op(A) op(B) + beta C on `threads` threads; `in_task`: inside the first of two tasks.
template <class T>
std::vector<T> product(int threads, const Product& p, bool ta, bool tb, T beta, bool in_task = false) {
  set_num_threads(threads);
  const auto a = random_values<T>(p.m * p.k, 1), b = random_values<T>(p.k * p.n, 2);
  std::vector<T> c = random_values<T>(p.m * p.n, 3);
  auto run = [&] {
    detail::gemm<T>(ta, tb, p.m, p.n, p.k, T(0.75), a.data(), ta ? p.m : p.k, b.data(), tb ? p.k : p.n, beta,
                    c.data(), p.n);
  };
  if (in_task)
    parallel_tasks(2, [&](std::size_t task) {
      if (task == 0) run();
    });
  else
    run();
  return c;
}

template <class T>
void expect_same_bits_on_any_thread_count(std::initializer_list<Product> products, bool in_task = false) {
  test::ThreadsGuard guard;
  for (const Product& p : products)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (T beta : {T(0), T(1)}) {
          const std::vector<T> one = product<T>(1, p, ta, tb, beta, in_task);
          for (int threads : {2, 4}) {
            const std::vector<T> split = product<T>(threads, p, ta, tb, beta, in_task);
            EXPECT_EQ(std::memcmp(one.data(), split.data(), one.size() * sizeof(T)), 0)
                << p.m << "x" << p.n << "x" << p.k << " ta=" << ta << " tb=" << tb << " beta=" << beta << " on "
                << threads << " threads";
          }
        }
}

// Split by rows (m >= n), by columns, with uneven and unaligned block edges.
const auto kProducts = {Product{71, 64, 1120}, Product{2048, 256, 64}, Product{70, 3000, 200},
                        Product{1001, 333, 97}, Product{1239, 1118, 652}, Product{311, 298, 162},
                        Product{137, 1500, 41}, Product{1, 20000, 512}, Product{20000, 1, 512}};

TEST(BlasSplit, FloatProductsAreBitIdenticalOnAnyThreadCount) { expect_same_bits_on_any_thread_count<float>(kProducts); }
TEST(BlasSplit, DoubleProductsAreBitIdenticalOnAnyThreadCount) { expect_same_bits_on_any_thread_count<double>(kProducts); }
TEST(BlasSplit, AProductInsideOneOfSeveralTasksIsBitIdenticalOnAnyThreadCount) {
  expect_same_bits_on_any_thread_count<float>({Product{71, 64, 1120}}, true);
}

/// Products against the definition, summed in long double, with operands and C inside larger
/// row-major arrays (leading dimensions wider than the product).
template <class T>
void expect_products_to_match_the_definition(std::initializer_list<Product> products, T tolerance) {
  for (const Product& p : products)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (T beta : {T(0), T(0.5)}) {
          const std::size_t pad = 3, lda = (ta ? p.m : p.k) + pad, ldb = (tb ? p.k : p.n) + pad, ldc = p.n + pad;
          const auto a = random_values<T>((ta ? p.k : p.m) * lda, 1), b = random_values<T>((tb ? p.n : p.k) * ldb, 2);
          std::vector<T> c = random_values<T>(p.m * ldc, 3);
          std::vector<T> expected = c;
          for (std::size_t r = 0; r < p.m; ++r)
            for (std::size_t col = 0; col < p.n; ++col) {
              long double sum = 0;
              for (std::size_t q = 0; q < p.k; ++q)
                sum += static_cast<long double>(ta ? a[q * lda + r] : a[r * lda + q]) *
                       static_cast<long double>(tb ? b[col * ldb + q] : b[q * ldb + col]);
              T& e = expected[r * ldc + col];
              e = static_cast<T>(0.75L * sum + (beta == T(0) ? 0.0L : static_cast<long double>(beta) * e));
              // beta = 0: C is written, never read (BLAS's rule), so garbage in it must not leak out.
              if (beta == T(0)) c[r * ldc + col] = std::numeric_limits<T>::quiet_NaN();
            }
          detail::gemm<T>(ta, tb, p.m, p.n, p.k, T(0.75), a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
          for (std::size_t j = 0; j < c.size(); ++j)
            EXPECT_NEAR(c[j], expected[j], tolerance) << p.m << "x" << p.n << "x" << p.k << " ta=" << ta
                                                      << " tb=" << tb << " beta=" << beta << " at " << j;
        }
}

const auto kMatrixVectorProducts = {Product{1, 37, 53}, Product{29, 1, 41}, Product{1, 1, 17}, Product{1, 300, 1}};

TEST(Blas, OneRowAndOneColumnProductsMatchTheDefinition) {
  expect_products_to_match_the_definition<float>(kMatrixVectorProducts, 1e-5f);
  expect_products_to_match_the_definition<double>(kMatrixVectorProducts, 1e-13);
}

/// Restores the instruction set in use when a test that changes it ends.
struct IsaGuard {
  std::string saved = simd_isa();
  ~IsaGuard() { set_simd_isa(saved); }
};

// Float products run on tapegrad's AVX-512 GEMM where the CPU has it (autograd/ops/gemm_avx512.cpp),
// else on OpenBLAS, which the baseline instruction set also chooses: both against the definition,
// on shapes that end inside and just past its register tile (8 x 48) and its packed blocks of B
// (480 columns, 256 deep; the last block takes up to 528 columns, so 528 is one block and 529 two),
// and k = 0 (C = beta C). A transposed op(A) is gathered four tiles (32 rows) at a time: 145 rows
// end inside the fifth chunk's third tile, 40 rows one tile into the second chunk.
TEST(Blas, FloatProductsMatchTheDefinitionOnEveryKernel) {
  IsaGuard guard;
  const auto products = {Product{7, 47, 3},     Product{8, 48, 256},  Product{9, 49, 257},
                         Product{145, 97, 40},  Product{17, 481, 31}, Product{10, 528, 20},
                         Product{11, 529, 20},  Product{9, 1010, 19}, Product{33, 150, 600},
                         Product{40, 64, 300},  Product{5, 6, 0}};
  for (const std::string& isa : available_simd_isas()) {
    SCOPED_TRACE("instruction set " + isa + (isa == "sse2" ? " (OpenBLAS)" : ""));
    set_simd_isa(isa);
    expect_products_to_match_the_definition<float>(products, 1e-4f);
  }
}

// A recurrent weight is packed once per sequence (detail::PackedB) and multiplied at every step:
// the same bits as gemm on every kernel, whether the product runs on the panels in one call, on the
// panels split by rows (one that gemm splits over threads), or, being a gemv, as gemm.
TEST(Blas, PackedOperandGivesGemmsBits) {
  IsaGuard guard;
  test::ThreadsGuard threads;
  set_num_threads(2);
  for (const std::string& isa : available_simd_isas()) {
    set_simd_isa(isa);
    for (const Product& p : {Product{32, 2048, 512}, Product{16, 1000, 300}, Product{9, 49, 257}, Product{1, 64, 40},
                             Product{1000, 600, 300}, Product{20, 1010, 40}})
      for (bool tb : {false, true}) {
        const auto a = random_values<float>(p.m * p.k, 1), b = random_values<float>(p.k * p.n, 2);
        const std::size_t ldb = tb ? p.k : p.n;
        std::vector<float> expected(p.m * p.n, 0.5f), c = expected;
        detail::gemm<float>(false, tb, p.m, p.n, p.k, 0.75f, a.data(), p.k, b.data(), ldb, 1.0f, expected.data(), p.n);
        const detail::PackedB<float> packed(tb, p.k, p.n, b.data(), ldb);
        detail::gemm_packed<float>(false, p.m, 0.75f, a.data(), p.k, packed, 1.0f, c.data(), p.n);
        EXPECT_EQ(std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)), 0)
            << isa << " " << p.m << "x" << p.n << "x" << p.k << " tb=" << tb;
      }
  }
}

// Under detail::ReusePackedWeights (the decoders' calls), products by a parameter reuse one packing
// of it: the same bits as without, the same packing at the second product, none for a tensor that
// needs no gradient, and nothing kept once the scope closes (a changed weight is packed again).
TEST(Blas, ReusedPackingsGiveTheSameBitsAndEndWithTheirScope) {
  IsaGuard guard;
  test::ThreadsGuard threads;
  for (const std::string& isa : available_simd_isas()) {
    set_simd_isa(isa);
    for (int n_threads : {1, 2}) {
      set_num_threads(n_threads);
      manual_seed(5);
      Tensor w = randn({300, 200}, TensorOptions().requires_grad()), b = randn({300});
      const Tensor x = randn({64, 200}), x2 = randn({48, 200});
      auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(200, 100).num_layers(2));
      NoGradGuard no_grad;
      const Tensor y = linear(x, w, b), y2 = linear(x2, w, b);
      const Tensor h = gru->forward(unsqueeze(x, 0)).output;
      {
        detail::ReusePackedWeights reuse;
        const auto first = detail::reused_packing<float>(w, true, 200, 300);
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(detail::reused_packing<float>(w, true, 200, 300), first);
        EXPECT_EQ(detail::reused_packing<float>(x, true, 200, 64), nullptr) << "x needs no gradient";
        EXPECT_TRUE(test::same_bits(linear(x, w, b), y)) << isa << " " << n_threads;
        EXPECT_TRUE(test::same_bits(linear(x2, w, b), y2)) << isa << " " << n_threads;
        EXPECT_TRUE(test::same_bits(gru->forward(unsqueeze(x, 0)).output, h)) << isa << " " << n_threads;
        EXPECT_TRUE(test::same_bits(gru->forward(unsqueeze(x, 0)).output, h)) << "again, on the kept packings";
      }
      EXPECT_EQ(detail::reused_packing<float>(w, true, 200, 300), nullptr) << "no scope open";
      w.data<float>() *= 2.0f;
      detail::ReusePackedWeights reuse;
      EXPECT_LT(test::max_abs_diff(linear(x, w, b), linear(x, w * 1.0, b)), 1e-6) << "the changed weight, packed anew";
    }
  }
}

// A bias row added by the product (C = op(A) op(B) + row in every row; the AVX-512 GEMM adds it as
// it stores, BLAS after a copy) gives the bits of the row copied into C and beta = 1: on every
// kernel, 1 and 2 threads, split and one-block products, a gemv, k = 0 and a packed op(B).
TEST(Blas, ABiasRowAddedByTheProductGivesTheBitsOfTheRowCopiedIn) {
  IsaGuard guard;
  test::ThreadsGuard threads;
  for (const std::string& isa : available_simd_isas())
    for (int n_threads : {1, 2}) {
      set_simd_isa(isa);
      set_num_threads(n_threads);
      for (const Product& p : {Product{1120, 2048, 64}, Product{70, 3000, 200}, Product{33, 529, 300},
                               Product{1, 300, 40}, Product{9, 49, 0}})
        for (bool tb : {false, true}) {
          const auto a = random_values<float>(p.m * p.k, 1), b = random_values<float>(p.k * p.n, 2);
          const auto row = random_values<float>(p.n, 3);
          const std::size_t ldb = tb ? p.k : p.n;
          std::vector<float> expected(p.m * p.n);
          for (std::size_t r = 0; r < p.m; ++r) std::copy(row.begin(), row.end(), expected.begin() + r * p.n);
          detail::gemm<float>(false, tb, p.m, p.n, p.k, 0.75f, a.data(), p.k, b.data(), ldb, 1.0f, expected.data(), p.n);
          std::vector<float> c(p.m * p.n, std::numeric_limits<float>::quiet_NaN());  // not read
          detail::gemm<float>(false, tb, p.m, p.n, p.k, 0.75f, a.data(), p.k, b.data(), ldb, 0.0f, c.data(), p.n,
                              row.data());
          EXPECT_EQ(std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)), 0)
              << isa << " " << n_threads << " threads " << p.m << "x" << p.n << "x" << p.k << " tb=" << tb;
          const detail::PackedB<float> packed(tb, p.k, p.n, b.data(), ldb);
          std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
          detail::gemm_packed<float>(false, p.m, 0.75f, a.data(), p.k, packed, 0.0f, c.data(), p.n, row.data());
          EXPECT_EQ(std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)), 0)
              << "packed: " << isa << " " << n_threads << " threads " << p.m << "x" << p.n << "x" << p.k;
        }
    }
}

// Bias gradients are column sums, split by columns over the threads: each column summed over the
// rows in order, the bits of the plain loop on 1 and 2 threads, added to what the sums held.
TEST(Blas, ColumnSumsAreTheRowOrderSumsOnAnyThreadCount) {
  test::ThreadsGuard threads;
  for (const Product& p : {Product{2048, 1024, 0}, Product{300, 47, 0}, Product{1, 5, 0}}) {
    const std::size_t ld = p.n + 3;
    const auto x = random_values<float>(p.m * ld, 1);
    std::vector<float> expected = random_values<float>(p.n, 2);
    const std::vector<float> start = expected;
    for (std::size_t r = 0; r < p.m; ++r)
      for (std::size_t j = 0; j < p.n; ++j) expected[j] += x[r * ld + j];
    for (int n_threads : {1, 2}) {
      set_num_threads(n_threads);
      std::vector<float> sums = start;
      detail::add_column_sums<float>(p.m, p.n, x.data(), ld, sums.data());
      EXPECT_EQ(std::memcmp(sums.data(), expected.data(), sums.size() * sizeof(float)), 0)
          << p.m << "x" << p.n << " on " << n_threads << " threads";
    }
  }
}

// A weight gradient and its bias's from one pass over dY (gemm_with_column_sums): the bits of the
// product and of add_column_sums apart, on every kernel and thread count, beta 0 and 1, sums that
// held values before; shapes past the gather's chunks of 32 rows (m = 145, 40), split by rows
// (m >= n) and by columns (n > m, where one block of columns adds the sums), and a gemv.
TEST(Blas, ProductWithColumnSumsGivesTheBitsOfBothApart) {
  test::ThreadsGuard threads;
  IsaGuard isa_guard;
  for (const std::string& isa : available_simd_isas())
    for (const Product& p : {Product{145, 97, 300}, Product{40, 64, 600}, Product{1024, 64, 2048},
                             Product{120, 700, 90}, Product{1, 30, 20}})
      for (bool tb : {false, true})
        for (float beta : {0.0f, 1.0f})
          for (int n_threads : {1, 2}) {
            SCOPED_TRACE(testing::Message() << isa << " " << p.m << "x" << p.n << "x" << p.k << " tb=" << tb
                                            << " beta=" << beta << " threads=" << n_threads);
            set_simd_isa(isa);
            set_num_threads(n_threads);
            const auto a = random_values<float>(p.k * p.m, 1), b = random_values<float>(p.k * p.n, 2);
            const auto c0 = random_values<float>(p.m * p.n, 3), sums0 = random_values<float>(p.m, 4);
            std::vector<float> c = c0, sums = sums0, c_apart = c0, sums_apart = sums0;
            const std::size_t ldb = tb ? p.k : p.n;
            detail::gemm_with_column_sums<float>(tb, p.m, p.n, p.k, 0.75f, a.data(), p.m, b.data(), ldb, beta,
                                                 c.data(), p.n, sums.data());
            detail::gemm<float>(true, tb, p.m, p.n, p.k, 0.75f, a.data(), p.m, b.data(), ldb, beta, c_apart.data(),
                                p.n);
            detail::add_column_sums<float>(p.k, p.m, a.data(), p.m, sums_apart.data());
            EXPECT_EQ(std::memcmp(c.data(), c_apart.data(), c.size() * sizeof(float)), 0);
            EXPECT_EQ(std::memcmp(sums.data(), sums_apart.data(), sums.size() * sizeof(float)), 0);
          }
}

}  // namespace
}  // namespace tg
