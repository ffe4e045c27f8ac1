// DataParallel under mpirun -np 2 and -np 3: W ranks on shares of a batch take the same steps as
// one process on the whole batch, with uneven shards, uneven last batches, one or many buckets,
// with and without overlap.
#include <distributed/distributed.hpp>
#include <tapegrad.hpp>

#include <gtest/gtest.h>

namespace tg::distributed {
namespace {

constexpr std::size_t kExamples = 37, kFeatures = 6;

struct Mlp : nn::Module {
  Mlp() : Module("Mlp") {
    hidden = register_module("hidden", std::make_shared<nn::Linear>(kFeatures, 16));
    out = register_module("out", std::make_shared<nn::Linear>(16, 1));
  }
  Tensor forward(const Tensor& x) { return out->forward(tanh(hidden->forward(x))); }
  std::shared_ptr<nn::Linear> hidden, out;
};

// A fixed regression problem, the same on every rank.
struct Problem {
  Problem() {
    Generator g(11);
    x = xt::xarray<float>::from_shape({kExamples, kFeatures});
    y = xt::xarray<float>::from_shape({kExamples, 1});
    for (auto& v : x) v = static_cast<float>(g.normal());
    for (std::size_t i = 0; i < kExamples; ++i) y(i, 0) = std::sin(x(i, 0)) + x(i, 1) * x(i, 2);
  }
  // Rows `rows` of x and y.
  std::pair<Tensor, Tensor> rows(const std::vector<std::size_t>& rows) const {
    xt::xarray<float> xs = xt::view(x, xt::keep(rows), xt::all()), ys = xt::view(y, xt::keep(rows), xt::all());
    return {from_array(std::move(xs)), from_array(std::move(ys))};
  }
  xt::xarray<float> x, y;
};

struct Run {
  std::size_t batch_size;
  DataParallelOptions options;
};

// Trains 20 Adam steps, on this rank's shares with DataParallel when `ddp` is set, else on whole
// batches; returns the final parameters. Each rank initialises its model from its own seed, so the
// distributed run also checks that rank 0's weights are broadcast.
StateDict train(const Run& run, bool distributed) {
  const Problem problem;
  manual_seed(distributed ? 100 + static_cast<std::uint64_t>(rank()) : 100);
  auto model = std::make_shared<Mlp>();
  std::unique_ptr<DataParallel> ddp;
  if (distributed) ddp = std::make_unique<DataParallel>(model->named_parameters(), run.options);
  optim::Adam optimizer(model->named_parameters(), optim::AdamOptions(0.01));
  data::ShardedEpochs epochs(kExamples, run.batch_size, /*seed=*/3, distributed ? rank() : 0,
                             distributed ? world_size() : 1);
  std::size_t steps = 0;
  for (std::uint64_t epoch = 0; steps < 20; ++epoch)
    for (std::size_t b = 0; b < epochs.num_batches() && steps < 20; ++b, ++steps) {
      const std::vector<std::size_t> mine = epochs.batch(epoch, b);
      optimizer.zero_grad();
      Tensor loss;
      if (!mine.empty()) {
        auto [x, y] = problem.rows(mine);
        loss = mean(pow(model->forward(x) - y, 2));
      }
      if (ddp) ddp->backward(loss, static_cast<double>(mine.size()));
      else loss.backward();
      optimizer.step();
    }
  return model->state_dict();
}

void expect_same_parameters(const Run& run) {
  const StateDict reference = train(run, false), mine = train(run, true);
  for (const auto& [name, t] : reference) {
    const xt::xarray<float>& want = t.data<float>();
    const xt::xarray<float>& got = mine.at(name).data<float>();
    EXPECT_LT(xt::amax(xt::abs(got - want))(), 2e-5f) << name << " on rank " << rank() << " of " << world_size();
  }
}

// 37 examples in batches of 8: four of 8 (4 + 4 on 2 ranks, 3 + 3 + 2 on 3) and a last of 5 (3 + 2; 2 + 2 + 1).
TEST(DataParallel, RanksOnSharesOfTheBatchTakeTheStepsOfOneProcessOnTheWholeBatch) {
  expect_same_parameters({8, DataParallelOptions()});
}

// Batches of 7 (4 + 3; 3 + 2 + 2) and a last of 2, where a third rank has no example at all.
TEST(DataParallel, OddBatchesAndALastBatchSmallerThanTheWorld) {
  expect_same_parameters({7, DataParallelOptions()});
}

// Buckets of 64 bytes: one per parameter or two, started one by one during backward.
TEST(DataParallel, ManySmallBucketsGiveTheSameSteps) {
  expect_same_parameters({8, DataParallelOptions().bucket_bytes(64)});
}

TEST(DataParallel, WithoutOverlapTheStepsAreTheSame) {
  expect_same_parameters({8, DataParallelOptions().bucket_bytes(64).overlap(false)});
}

// The overlap: with a bucket per layer, every all-reduce starts while backward still runs.
TEST(DataParallel, BucketsStartDuringBackwardUnlessOverlapIsOff) {
  const Problem problem;
  auto [x, y] = problem.rows({0, 1, 2, 3});
  for (bool overlap : {true, false}) {
    auto model = std::make_shared<Mlp>();
    DataParallel ddp(model->named_parameters(), DataParallelOptions().bucket_bytes(64).overlap(overlap));
    ddp.backward(mean(pow(model->forward(x) - y, 2)), 4);
    EXPECT_EQ(ddp.last_timing().started_during_backward, overlap ? ddp.num_buckets() : 0u) << overlap;
  }
}

TEST(DataParallel, BucketsFollowReverseParameterOrder) {
  auto model = std::make_shared<Mlp>();
  DataParallel ddp(model->named_parameters(), DataParallelOptions().bucket_bytes(64));
  // out.bias (4 bytes) and out.weight (64) fill the first bucket; hidden.bias (64) the second.
  ASSERT_EQ(ddp.num_buckets(), 3u);
  EXPECT_EQ(ddp.bucket(0), (std::vector<std::string>{"out.bias", "out.weight"}));
  EXPECT_EQ(ddp.bucket(1), (std::vector<std::string>{"hidden.bias"}));
  EXPECT_EQ(ddp.bucket(2), (std::vector<std::string>{"hidden.weight"}));
}

TEST(DataParallel, ARankWithAnotherModelIsNamedOnEveryRank) {
  auto model = std::make_shared<nn::Linear>(rank() == 1 ? 3 : 4, 2);
  try {
    DataParallel ddp(model->named_parameters());
    ADD_FAILURE() << "no error";
  } catch (const DistributedError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(rank() == 1 ? "'weight float32 2 3' here, 'weight float32 2 4' on rank 0"
                                    : "1 rank(s) hold other tensors than rank 0"),
              std::string::npos) << what;
  }
}

}  // namespace
}  // namespace tg::distributed
