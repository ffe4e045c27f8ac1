#pragma once
// The workload of the reliability tests (bounded memory, reproducibility, anomaly-mode cost): a
// two-layer tanh MLP fitted by plain SGD, built from ops only so that it depends on autograd alone.
#include <tapegrad.hpp>

#include <cstdint>
#include <vector>

namespace tg::test {

/// y = tanh(x W1^T + b1) W2^T + b2, initialised from `seed`; a fixed regression problem to fit.
///
///     tg::test::TinyMlp mlp(/*seed=*/1);
///     for (int i = 0; i < 100; ++i) losses.push_back(mlp.train_step(0.05));
struct TinyMlp {
  explicit TinyMlp(std::uint64_t seed, Dtype dtype = kFloat32, std::size_t batch = 32, std::size_t in = 8,
                   std::size_t hidden = 32);

  std::vector<Tensor> parameters() const { return {w1, b1, w2, b2}; }
  /// The mean squared error of the model on the problem, recorded on the tape.
  Tensor loss() const;
  /// One SGD step (p -= lr * grad, under NoGradGuard); returns the loss before it.
  double train_step(double lr);

  Tensor w1, b1, w2, b2;
  Tensor x, y;
};

}  // namespace tg::test
