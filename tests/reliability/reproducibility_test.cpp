// Reproducibility: the same seed and thread count give bitwise the same loss curve and final
// parameters (model, data and Adam), run after run in one process (docs/reliability.md says what is
// and is not promised).
#include "support/support.hpp"
#include "support/tiny_mlp.hpp"

#include <cstring>

namespace tg {
namespace {

struct TrainingRun {
  std::vector<double> losses;
  std::vector<Tensor> parameters;
};

/// A short training run with tg::optim::Adam, whose update runs TBB-parallel over parameter chunks.
TrainingRun train(std::uint64_t seed, int threads, int steps = 100) {
  set_num_threads(threads);
  // Wide enough that the GEMMs are split across BLAS threads.
  test::TinyMlp mlp(seed, kFloat32, /*batch=*/64, /*in=*/32, /*hidden=*/128);
  optim::Adam adam({{"w1", mlp.w1}, {"b1", mlp.b1}, {"w2", mlp.w2}, {"b2", mlp.b2}}, optim::AdamOptions(1e-2));
  TrainingRun run;
  for (int step = 0; step < steps; ++step) {
    adam.zero_grad();
    Tensor loss = mlp.loss();
    loss.backward();
    adam.step();
    run.losses.push_back(loss.item());
  }
  run.parameters = mlp.parameters();
  set_num_threads(0);
  return run;
}

bool bitwise_equal(const TrainingRun& a, const TrainingRun& b) {
  if (a.losses.size() != b.losses.size() ||
      std::memcmp(a.losses.data(), b.losses.data(), a.losses.size() * sizeof(double)) != 0)
    return false;
  for (std::size_t i = 0; i < a.parameters.size(); ++i) {
    const auto& x = a.parameters[i].data<float>();
    const auto& y = b.parameters[i].data<float>();
    if (x.shape() != y.shape() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

TEST(Reproducibility, SameSeedAndThreadCountGiveBitwiseIdenticalLossCurveAndParameters) {
  for (int threads : {1, 2}) {
    const TrainingRun first = train(7, threads), second = train(7, threads);
    EXPECT_TRUE(bitwise_equal(first, second)) << "two runs with seed 7 on " << threads << " threads differ";
    EXPECT_LT(first.losses.back(), first.losses.front());
  }
}

TEST(Reproducibility, DifferentSeedsGiveDifferentRuns) {
  EXPECT_FALSE(bitwise_equal(train(7, 1, 5), train(8, 1, 5)));
}

}  // namespace
}  // namespace tg
