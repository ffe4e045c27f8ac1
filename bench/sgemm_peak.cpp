// The ceiling for the workloads' GFLOP/s: OpenBLAS sgemm on 2048 x 2048 x 2048 float32 matrices,
// best of several runs on 1 and on 2 threads. Prints one JSON line.
//
//     sgemm_peak [reps]   ->   {"n": 2048, "gflops_1t": 101.3, "gflops_2t": 196.8}
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

double best_gflops(int threads, int n, int reps, const std::vector<float>& a, const std::vector<float>& b,
                   std::vector<float>& c) {
  openblas_set_num_threads(threads);
  double best = 0;
  for (int r = 0; r <= reps; ++r) {  // run 0 warms the caches and the thread pool up
    const auto start = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                c.data(), n);
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
  const double one = best_gflops(1, n, reps, a, b, c);
  const double two = best_gflops(2, n, reps, a, b, c);
  std::printf("{\"n\": %d, \"gflops_1t\": %.1f, \"gflops_2t\": %.1f}\n", n, one, two);
}
