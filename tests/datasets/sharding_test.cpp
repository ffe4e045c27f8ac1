// Which examples each rank of a data-parallel run reads: arithmetic on the rank and the world size.
#include <datasets/sharding.hpp>
#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <set>

namespace tg::data {
namespace {

TEST(Sharding, ShardsAreContiguousDisjointAndTheFirstRanksTakeTheRemainder) {
  EXPECT_EQ(shard(8, 0, 3).begin, 0u);
  EXPECT_EQ(shard(8, 0, 3).size(), 3u);
  EXPECT_EQ(shard(8, 1, 3).begin, 3u);
  EXPECT_EQ(shard(8, 1, 3).size(), 3u);
  EXPECT_EQ(shard(8, 2, 3).begin, 6u);
  EXPECT_EQ(shard(8, 2, 3).end, 8u);
  EXPECT_EQ(shard(1, 2, 3).size(), 0u);  // more ranks than items
  EXPECT_THROW(shard(8, 3, 3), ValueError);
}

TEST(Sharding, EveryEpochsShardsCoverTheDataOnceAndDoNotDependOnTheWorldSize) {
  const std::size_t size = 23, batch = 5;
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::size_t> one_process, three_ranks;
    for (std::size_t b = 0; b < ShardedEpochs(size, batch, 9, 0, 1).num_batches(); ++b) {
      const auto whole = ShardedEpochs(size, batch, 9, 0, 1).batch(epoch, b);
      one_process.insert(one_process.end(), whole.begin(), whole.end());
      for (int r = 0; r < 3; ++r) {
        const auto part = ShardedEpochs(size, batch, 9, r, 3).batch(epoch, b);
        three_ranks.insert(three_ranks.end(), part.begin(), part.end());
      }
    }
    EXPECT_EQ(three_ranks, one_process) << "epoch " << epoch;
    EXPECT_EQ(std::set<std::size_t>(one_process.begin(), one_process.end()).size(), size);
  }
  // Another epoch, another order; another seed, another order.
  EXPECT_NE(ShardedEpochs(size, batch, 9, 0, 1).batch(0, 0), ShardedEpochs(size, batch, 9, 0, 1).batch(1, 0));
  EXPECT_NE(ShardedEpochs(size, batch, 9, 0, 1).batch(0, 0), ShardedEpochs(size, batch, 10, 0, 1).batch(0, 0));
}

TEST(Sharding, TheLastBatchIsSmaller) {
  ShardedEpochs epochs(23, 5, 1, 1, 2);
  EXPECT_EQ(epochs.num_batches(), 5u);
  EXPECT_EQ(epochs.global_batch_size(4), 3u);
  EXPECT_EQ(epochs.batch(0, 4).size(), 1u);  // rank 1 of 2: 2 + 1
  EXPECT_THROW(epochs.global_batch_size(5), ValueError);
  EXPECT_THROW(ShardedEpochs(0, 5, 1, 0, 1), ValueError);
}

}  // namespace
}  // namespace tg::data
