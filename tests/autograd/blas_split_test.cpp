// Large products are split into blocks of rows or columns, one per thread (autograd/ops/blas.cpp).
// The split must not change a bit: every shape, transpose and beta below gives the same bytes on
// 1 thread (one BLAS call) and on 2 and 3 threads (blocks). Double products are never split (their
// kernels round block edges differently), which the double case checks from the outside.
#include "support/support.hpp"

#include <autograd/ops/blas.hpp>
#include <autograd/threads.hpp>

#include <cstring>
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

template <class T>
std::vector<T> product(int threads, const Product& p, bool ta, bool tb, T beta) {
  set_num_threads(threads);
  const auto a = random_values<T>(p.m * p.k, 1), b = random_values<T>(p.k * p.n, 2);
  std::vector<T> c = random_values<T>(p.m * p.n, 3);
  detail::gemm<T>(ta, tb, p.m, p.n, p.k, T(0.75), a.data(), ta ? p.m : p.k, b.data(), tb ? p.k : p.n, beta, c.data(),
                  p.n);
  return c;
}

template <class T>
void expect_same_bits_on_any_thread_count() {
  test::ThreadsGuard guard;
  // Split by rows (m >= n), by columns, with uneven and unaligned block edges.
  for (const Product& p : {Product{2048, 256, 64}, Product{70, 3000, 200}, Product{1001, 333, 97},
                           Product{1239, 1118, 652}, Product{311, 298, 162}, Product{137, 1500, 41}}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (T beta : {T(0), T(1)}) {
          const std::vector<T> one = product<T>(1, p, ta, tb, beta);
          for (int threads : {2, 3}) {
            const std::vector<T> split = product<T>(threads, p, ta, tb, beta);
            EXPECT_EQ(std::memcmp(one.data(), split.data(), one.size() * sizeof(T)), 0)
                << p.m << "x" << p.n << "x" << p.k << " ta=" << ta << " tb=" << tb << " beta=" << beta << " on "
                << threads << " threads";
          }
        }
  }
}

TEST(BlasSplit, FloatProductsAreBitIdenticalOnAnyThreadCount) { expect_same_bits_on_any_thread_count<float>(); }
TEST(BlasSplit, DoubleProductsAreBitIdenticalOnAnyThreadCount) { expect_same_bits_on_any_thread_count<double>(); }

}  // namespace
}  // namespace tg
