// Reproducibility: the same seed gives bitwise the same loss curve and final parameters (model,
// data and Adam), run after run in one process and on any thread count (docs/reliability.md says
// what is and is not promised).
#include "support/support.hpp"
#include "support/tiny_mlp.hpp"

#include <cstring>
#include <filesystem>

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

/// Issue #12's char_lm run in small: embedding -> LSTM(32, 64) -> linear over 71 symbols.
struct SmallLanguageModel : nn::Module {
  SmallLanguageModel() : Module("SmallLanguageModel") {}
  std::shared_ptr<nn::Embedding> embedding = register_module("embedding", std::make_shared<nn::Embedding>(71, 32));
  std::shared_ptr<nn::LSTM> rnn = register_module("rnn", std::make_shared<nn::LSTM>(nn::LSTMOptions(32, 64)));
  std::shared_ptr<nn::Linear> head = register_module("head", std::make_shared<nn::Linear>(64, 71));
  Tensor forward(const IndexArray& ids) { return head->forward(rnn->forward(embedding->forward(ids)).output); }
};

/// Trains the model 3 steps (gradients clipped to norm 1, Adam) on batches of 32 sequences of 35
/// random symbols on `threads` threads, and returns what Module::save wrote.
StateDict train_and_save(int threads) {
  set_num_threads(threads);
  manual_seed(11);
  auto model = std::make_shared<SmallLanguageModel>();
  optim::Adam adam(model->named_parameters(), optim::AdamOptions(1e-2));
  Generator g(12);
  for (int step = 0; step < 3; ++step) {
    IndexArray ids = IndexArray::from_shape({35, 32}), targets = IndexArray::from_shape({35, 32});
    for (Index& id : ids) id = static_cast<Index>(g.below(71));
    for (Index& t : targets) t = static_cast<Index>(g.below(71));
    Tensor loss = cross_entropy(model->forward(ids), targets);
    adam.zero_grad();
    loss.backward();
    optim::clip_grad_norm(model->named_parameters(), 1.0);
    adam.step();
  }
  const std::string path = test::write_temp_file("small_lm.npz", "");
  model->save(path);
  StateDict saved = load_npz(path);
  std::filesystem::remove(path);
  return saved;
}

TEST(Reproducibility, TrainingGivesTheSameSavedBitsOnOneTwoAndFourThreads) {
  test::ThreadsGuard guard;
  const StateDict one = train_and_save(1);
  for (int threads : {2, 4}) {
    const StateDict other = train_and_save(threads);
    ASSERT_EQ(other.size(), one.size());
    for (const auto& [name, array] : one)
      EXPECT_TRUE(test::same_bits(other.at(name), array)) << name << " on " << threads << " threads";
  }
}

}  // namespace
}  // namespace tg
