// Optimizer update throughput: SGD with momentum and Adam on one float32 parameter of --size
// elements, plus a STREAM-like copy/triad over the same machinery (fixed chunks under TBB), so the
// update can be read as a fraction of the memory bandwidth. One JSON line per measurement; the
// PyTorch peer is bench/optim_bench.py and bench/run_optim_bench.sh interleaves the two.
//
//     optim_bench --kernel adam --size 10000000 --threads 2 --steps 30 --warmup 5
#include <tapegrad.hpp>

#include "optim/update_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string kernel = "adam";  // sgd_momentum | adam | copy | triad
  std::size_t size = 1000000;
  int threads = 1, steps = 30, warmup = 5;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--kernel") a.kernel = value;
    else if (key == "--size") a.size = std::stoul(value);
    else if (key == "--threads") a.threads = std::stoi(value);
    else if (key == "--steps") a.steps = std::stoi(value);
    else if (key == "--warmup") a.warmup = std::stoi(value);
    else {
      std::fprintf(stderr, "usage: %s --kernel sgd_momentum|adam|copy|triad --size N --threads N --steps N --warmup N\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

double median_ms(const Args& a, const std::function<void()>& step) {
  using clock = std::chrono::steady_clock;
  std::vector<double> times;
  for (int i = 0; i < a.warmup + a.steps; ++i) {
    const auto start = clock::now();
    step();
    if (i >= a.warmup) times.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  const std::size_t n = times.size();
  return n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

// Bytes a step must move at the least: each array read once, each written array written once.
std::size_t bytes_per_element(const std::string& kernel) {
  if (kernel == "sgd_momentum") return 5 * sizeof(float);  // read p, g, buf; write p, buf
  if (kernel == "adam") return 7 * sizeof(float);          // read p, g, m, v; write p, m, v
  if (kernel == "copy") return 2 * sizeof(float);
  return 3 * sizeof(float);                                // triad: a = b + s * c
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  tg::set_num_threads(a.threads);
  tg::Generator gen(1);
  const tg::Shape shape{a.size};
  double ms = 0;
  if (a.kernel == "sgd_momentum" || a.kernel == "adam") {
    tg::Tensor p = tg::randn(shape, tg::kFloat32, &gen).requires_grad_();
    p.impl().grad = std::make_shared<tg::TensorImpl>();
    p.impl().grad->value = tg::randn(shape, tg::kFloat32, &gen).impl().value;
    std::unique_ptr<tg::optim::Optimizer> optimizer;
    if (a.kernel == "adam") optimizer = std::make_unique<tg::optim::Adam>(tg::optim::NamedParameters{{"p", p}});
    else optimizer = std::make_unique<tg::optim::SGD>(tg::optim::NamedParameters{{"p", p}}, tg::optim::SGDOptions(1e-3).momentum(0.9));
    ms = median_ms(a, [&] { optimizer->step(); });
  } else if (a.kernel == "copy" || a.kernel == "triad") {
    std::vector<float> x(a.size, 1.0f), y(a.size, 2.0f), z(a.size, 0.0f);
    const std::vector<std::size_t> sizes{a.size};
    const bool triad = a.kernel == "triad";
    ms = median_ms(a, [&] {
      tg::optim::detail::for_each_chunk(sizes, [&](std::size_t, std::size_t begin, std::size_t end, std::size_t) {
        if (triad)
          for (std::size_t i = begin; i < end; ++i) z[i] = x[i] + 3.0f * y[i];
        else
          std::copy(x.begin() + long(begin), x.begin() + long(end), z.begin() + long(begin));
      });
    });
  } else {
    std::fprintf(stderr, "unknown kernel %s\n", a.kernel.c_str());
    return 2;
  }
  const double seconds = ms / 1e3;
  std::printf("{\"impl\": \"tapegrad\", \"kernel\": \"%s\", \"size\": %zu, \"threads\": %d, \"steps\": %d, "
              "\"median_ms\": %.4f, \"params_per_s\": %.4g, \"gb_per_s\": %.3f}\n",
              a.kernel.c_str(), a.size, a.threads, a.steps, ms, double(a.size) / seconds,
              double(a.size * bytes_per_element(a.kernel)) / seconds / 1e9);
  return 0;
}
