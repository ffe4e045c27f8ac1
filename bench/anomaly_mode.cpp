// The cost of anomaly detection (DetectAnomalyGuard): forward + backward of an MLP and of a tanh
// RNN unroll, with and without the guard. Prints a Markdown table for bench/RESULTS.md.
//     build/bench/anomaly_mode [iterations]
#include <tapegrad.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// Median milliseconds of `iterations` calls of `step` (after two warm-up calls).
double median_ms(const std::function<void()>& step, int iterations) {
  step();
  step();
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    step();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

struct Workload {
  std::string name;
  std::function<tg::Tensor()> loss;
};

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 30;
  tg::manual_seed(0);
  const auto param = tg::TensorOptions().requires_grad();

  // MLP: (256, 512) -> 1024 -> 1024 -> 10, tanh.
  const tg::Tensor x = tg::randn({256, 512});
  const tg::Tensor w1 = tg::randn({1024, 512}, param), w2 = tg::randn({1024, 1024}, param),
                   w3 = tg::randn({10, 1024}, param);
  const tg::Tensor b1 = tg::zeros({1024}, param), b2 = tg::zeros({1024}, param), b3 = tg::zeros({10}, param);
  // RNN: 35 steps of h = tanh(x_t W^T + h U^T), batch 32, hidden 256: many small ops.
  const tg::Tensor xs = tg::randn({35, 32, 256});
  const tg::Tensor w = tg::randn({256, 256}, param), u = tg::randn({256, 256}, param);

  const std::vector<Workload> workloads{
      {"MLP 512-1024-1024-10, batch 256 (6 GEMM-sized ops)",
       [&] {
         const tg::Tensor h = tg::tanh(tg::linear(tg::tanh(tg::linear(x, w1, b1)), w2, b2));
         return tg::mean(tg::linear(h, w3, b3));
       }},
      {"tanh RNN, 35 steps, batch 32, hidden 256 (~140 small ops)",
       [&] {
         tg::Tensor h = tg::zeros({32, 256});
         for (std::size_t t = 0; t < 35; ++t) h = tg::tanh(tg::linear(tg::select(xs, 0, t), w) + tg::linear(h, u));
         return tg::mean(h);
       }},
  };

  std::printf("| workload | off (ms) | on (ms) | overhead |\n| --- | --- | --- | --- |\n");
  for (const Workload& workload : workloads) {
    auto step = [&] {
      tg::Tensor loss = workload.loss();
      loss.backward();
    };
    const double off = median_ms(step, iterations);
    double on = 0;
    {
      tg::DetectAnomalyGuard guard;
      on = median_ms(step, iterations);
    }
    std::printf("| %s | %.3f | %.3f | %+.1f%% |\n", workload.name.c_str(), off, on, 100.0 * (on - off) / off);
  }
}
