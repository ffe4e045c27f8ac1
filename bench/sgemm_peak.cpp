// The ceiling for the workloads' GFLOP/s: float32 GEMM on 2048 x 2048 x 2048 matrices, best of
// several runs on 1 and on 2 threads, through OpenBLAS and through tapegrad's own products
// (tg::detail::gemm: its AVX-512 GEMM where the CPU has AVX-512F, else OpenBLAS again). The peak
// is the better of the two. Prints one JSON line.
//
//     sgemm_peak [reps]   ->   {"n": 2048, "gflops_1t": 201.3, "gflops_2t": 396.8, "openblas_1t": ..., ...}
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

double best_gflops(int n, int reps, const std::function<void()>& product) {
  double best = 0;
  for (int r = 0; r <= reps; ++r) {  // run 0 warms the caches and the thread pool up
    const auto start = std::chrono::steady_clock::now();
    product();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) best = std::max(best, 2.0 * n * n * static_cast<double>(n) / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = 2048;
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
    b[i] = static_cast<float>(i % 5) * 0.1f - 0.2f;
  }
  double openblas[2], tapegrad[2];
  for (int threads : {1, 2}) {
    openblas_set_num_threads(threads);
    openblas[threads - 1] = best_gflops(n, reps, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    });
    openblas_set_num_threads(1);  // as tapegrad runs it
    tg::set_num_threads(threads);
    tapegrad[threads - 1] = best_gflops(n, reps, [&] {
      tg::detail::gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    });
  }
  std::printf("{\"n\": %d, \"gflops_1t\": %.1f, \"gflops_2t\": %.1f, \"openblas_1t\": %.1f, \"openblas_2t\": %.1f, "
              "\"tapegrad_1t\": %.1f, \"tapegrad_2t\": %.1f}\n",
              n, std::max(openblas[0], tapegrad[0]), std::max(openblas[1], tapegrad[1]), openblas[0], openblas[1],
              tapegrad[0], tapegrad[1]);
}
