// Language-model minibatches: d2l's two samplers, exact values, layouts, resuming.
#include "support/support.hpp"

#include "autograd/io/npz.hpp"

namespace tg::data {
namespace {

std::vector<Index> range_corpus(Index n) {
  std::vector<Index> corpus(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) corpus[static_cast<std::size_t>(i)] = i;
  return corpus;
}

IndexArray as_index(const Tensor& t) { return xt::cast<Index>(t.to(kFloat64).data<double>()); }

// tools/references/datasets.py runs d2l's code on list(range(35)) with a Python port of
// tg::Generator(42) in place of Python's `random`; two epochs of each sampler.
TEST(LmBatches, MatchD2lAlgorithmOnItsExample) {
  const StateDict ref = load_npz(test::data_path("datasets/lm_batches.npz"));
  Generator probe(42);
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ(static_cast<Index>(probe.below(1000)), as_index(ref.at("below1000_seed42"))(i));
  for (Sampling sampling : {Sampling::Random, Sampling::Sequential}) {
    const std::string name = sampling == Sampling::Random ? "random" : "sequential";
    Generator g(42);
    LmBatchIterator it(range_corpus(35), LmBatchOptions().batch_size(2).num_steps(5).sampling(sampling).seed(42)
                                                   .layout(Layout::BatchMajor));
    for (int epoch = 0; epoch < 2; ++epoch) {
      auto batches = sampling == Sampling::Random ? seq_data_iter_random(range_corpus(35), 2, 5, g)
                                                  : seq_data_iter_sequential(range_corpus(35), 2, 5, g);
      std::size_t b = 0;
      for (LmBatch batch; it.next(batch); ++b) {
        const std::string key = fmt::format("{}_e{}_b{}_", name, epoch, b);
        ASSERT_TRUE(ref.count(key + "X")) << key;
        EXPECT_EQ(batch.X, as_index(ref.at(key + "X"))) << key;
        EXPECT_EQ(batch.Y, as_index(ref.at(key + "Y"))) << key;
        ASSERT_LT(b, batches.size());
        EXPECT_EQ(batches[b].X, batch.X) << key;
      }
      EXPECT_EQ(b, batches.size());
      EXPECT_FALSE(ref.count(fmt::format("{}_e{}_b{}_X", name, epoch, b))) << "fewer batches than d2l";
    }
  }
}

TEST(LmBatches, SequentialByHand) {
  // 0..34, batch 2, steps 5. Offset o: rows of (35 - o - 1) / 2 tokens, so with o = 0 row 0 is
  // 0..16 and row 1 is 17..33; batches take 5 columns at a time: 3 batches.
  Generator g(42);
  auto batches = seq_data_iter_sequential(range_corpus(35), 2, 5, g);
  Generator again(42);
  const auto offset = static_cast<Index>(again.below(6));
  const Index row = (35 - offset - 1) / 2;
  ASSERT_EQ(batches.size(), static_cast<std::size_t>(row / 5));
  for (std::size_t b = 0; b < batches.size(); ++b)
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t t = 0; t < 5; ++t) {
        const Index x = offset + static_cast<Index>(r) * row + static_cast<Index>(b * 5 + t);
        EXPECT_EQ(batches[b].X(r, t), x);
        EXPECT_EQ(batches[b].Y(r, t), x + 1);
      }
}

TEST(LmBatches, RandomCoversDisjointSubsequences) {
  LmBatchIterator it(range_corpus(103), LmBatchOptions().batch_size(4).num_steps(5).seed(3).layout(Layout::BatchMajor));
  std::vector<Index> starts;
  for (LmBatch b; it.next(b);) {
    EXPECT_EQ(b.X.shape(), (std::vector<std::size_t>{4, 5}));
    for (std::size_t r = 0; r < 4; ++r) {
      starts.push_back(b.X(r, 0));
      for (std::size_t t = 0; t < 5; ++t) {
        EXPECT_EQ(b.X(r, t), b.X(r, 0) + static_cast<Index>(t));
        EXPECT_EQ(b.Y(r, t), b.X(r, t) + 1);
      }
    }
  }
  std::sort(starts.begin(), starts.end());
  const Index offset = starts[0];
  EXPECT_LT(offset, 5);
  for (std::size_t i = 0; i < starts.size(); ++i) EXPECT_EQ(starts[i], offset + static_cast<Index>(5 * i));
  EXPECT_EQ(starts.size(), (102 - static_cast<std::size_t>(offset)) / 5 / 4 * 4);
}

// The default is the recurrent layers' (L, N), and every batch says which layout it has.
TEST(LmBatches, TimeMajorByDefaultAndBatchMajorIsTheTranspose) {
  for (Sampling s : {Sampling::Random, Sampling::Sequential}) {
    auto options = LmBatchOptions().batch_size(3).num_steps(4).sampling(s).seed(9);
    LmBatchIterator time_major(range_corpus(60), options);
    LmBatchIterator batch_major(range_corpus(60), options.layout(Layout::BatchMajor));
    LmBatch a, b;
    while (batch_major.next(a)) {
      ASSERT_TRUE(time_major.next(b));
      EXPECT_EQ(a.layout, Layout::BatchMajor);
      EXPECT_EQ(b.layout, Layout::TimeMajor);
      EXPECT_EQ(b.X.shape(), (std::vector<std::size_t>{4, 3}));
      EXPECT_EQ(IndexArray(xt::transpose(b.X)), a.X);
      EXPECT_EQ(IndexArray(xt::transpose(b.Y)), a.Y);
    }
  }
}

TEST(LmBatches, SeedReproducesAndEpochsDiffer) {
  auto options = LmBatchOptions().batch_size(2).num_steps(3).seed(11);
  LmBatchIterator a(range_corpus(50), options), b(range_corpus(50), options);
  std::vector<IndexArray> first_epoch, second_epoch;
  for (LmBatch x, y; a.next(x);) {
    ASSERT_TRUE(b.next(y));
    EXPECT_EQ(x.X, y.X);
    first_epoch.push_back(x.X);
  }
  EXPECT_EQ(a.epoch(), 1u);
  for (LmBatch x; a.next(x);) second_epoch.push_back(x.X);
  EXPECT_NE(first_epoch, second_epoch);
}

TEST(LmBatches, ResumeMidEpochGivesTheSameBatches) {
  for (Sampling s : {Sampling::Random, Sampling::Sequential}) {
    auto options = LmBatchOptions().batch_size(2).num_steps(4).sampling(s).seed(5);
    LmBatchIterator it(range_corpus(80), options);
    LmBatch batch;
    for (int i = 0; i < 11; ++i) it.next(batch);  // into the second epoch
    const std::string saved = it.state().str();
    std::vector<IndexArray> expected;
    for (int i = 0; i < 15; ++i) expected.push_back(it.next(batch) ? batch.X : IndexArray());

    LmBatchIterator resumed(range_corpus(80), options.seed(999));  // the seed is overridden
    resumed.restore(IteratorState::parse(saved));
    for (int i = 0; i < 15; ++i) EXPECT_EQ(resumed.next(batch) ? batch.X : IndexArray(), expected[i]) << i;
  }
}

TEST(LmBatches, TooShortStreamThrows) {
  try {
    LmBatchIterator(range_corpus(10), LmBatchOptions().batch_size(2).num_steps(5));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("stream of 10 tokens is too short for batch_size 2 x num_steps 5"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(LmBatchIterator(range_corpus(15), LmBatchOptions().batch_size(2).num_steps(5)));
  EXPECT_THROW(LmBatchIterator(range_corpus(15), LmBatchOptions().batch_size(2).num_steps(5).sampling(Sampling::Sequential)),
               ValueError);
  EXPECT_THROW(LmBatchIterator(range_corpus(15), LmBatchOptions().batch_size(0)), ValueError);
  // At the minimum length every offset still yields a batch.
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    LmBatchIterator it(range_corpus(16), LmBatchOptions().batch_size(2).num_steps(5).seed(seed)
                                             .sampling(Sampling::Sequential));
    EXPECT_GE(it.num_batches(), 1u);
  }
}

}  // namespace
}  // namespace tg::data
