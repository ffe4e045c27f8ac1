// Float products of the workloads' shapes on one thread: OpenBLAS (cblas_sgemm) against tapegrad's
// products (tg::detail::gemm: its AVX-512 GEMM where the CPU has AVX-512F), and, for a recurrent
// weight, tg::detail::gemm_packed with the weight packed once, as a sequence op runs it (inside one
// of two tasks, so the product is one call). Best of `reps` runs; prints a Markdown table.
//
//     gemm_shapes [reps]
#include <autograd/ops/blas.hpp>
#include <autograd/threads.hpp>
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

namespace {

struct Shape {
  const char* what;
  std::size_t m, n, k;
  bool trans_b;
};

double best_gflops(const Shape& s, int reps, const std::function<void()>& product) {
  double best = 0;
  for (int r = 0; r <= reps; ++r) {  // run 0 warms the caches up
    const auto start = std::chrono::steady_clock::now();
    product();
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) best = std::max(best, 2.0 * s.m * s.n * s.k / t / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  openblas_set_num_threads(1);
  tg::set_num_threads(1);
  const Shape shapes[] = {
      {"W3 step, h W_hh^T (32 rows, one task's 16)", 16, 2048, 512, true},
      {"W3 step backward, dA W_hh", 16, 512, 2048, false},
      {"W1 step, h W_hh^T", 16, 1024, 256, true},
      {"W3 input projection, X W_ih^T", 1120, 2048, 512, true},
      {"tall and deep, 2048 x 512 over 1120", 2048, 512, 1120, false},
      {"W3 output layer, H W^T", 1120, 10000, 512, true},
      {"decoder output layer, batch 64", 64, 10000, 256, true},
      {"2048^3", 2048, 2048, 2048, false},
  };
  std::printf("| product | m x n x k | op(B) | OpenBLAS GFLOP/s | tapegrad gemm | tapegrad, B packed once |\n");
  std::printf("|---|---|---|---:|---:|---:|\n");
  for (const Shape& s : shapes) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 11) * 0.1f - 0.5f;
    const std::size_t ldb = s.trans_b ? s.k : s.n;
    const int r = s.m * s.n * s.k > (std::size_t{1} << 30) ? std::max(3, reps / 10) : reps;
    const double openblas = best_gflops(s, r, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, s.trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(s.m),
                  static_cast<int>(s.n), static_cast<int>(s.k), 1.0f, a.data(), static_cast<int>(s.k), b.data(),
                  static_cast<int>(ldb), 0.0f, c.data(), static_cast<int>(s.n));
    });
    const double tapegrad = best_gflops(s, r, [&] {
      tg::detail::gemm<float>(false, s.trans_b, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), ldb, 0.0f, c.data(), s.n);
    });
    const tg::detail::PackedB<float> packed(s.trans_b, s.k, s.n, b.data(), ldb);
    const double once = best_gflops(s, r, [&] {
      tg::parallel_tasks(2, [&](std::size_t task) {
        if (task == 0) tg::detail::gemm_packed<float>(false, s.m, 1.0f, a.data(), s.k, packed, 0.0f, c.data(), s.n);
      });
    });
    std::printf("| %s | %zu x %zu x %zu | %s | %.0f | %.0f | %.0f |\n", s.what, s.m, s.n, s.k, s.trans_b ? "B^T" : "B",
                openblas, tapegrad, once);
  }
}
