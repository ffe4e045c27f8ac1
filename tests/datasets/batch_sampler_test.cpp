// Batches of example indices: order, shuffling, bucketing by length, resuming.
#include "support/support.hpp"

#include <set>

namespace tg::data {
namespace {

using Batches = std::vector<std::vector<std::size_t>>;

Batches epoch_of(BatchSampler& s) {
  Batches out;
  for (std::vector<std::size_t> b; s.next(b);) out.push_back(b);
  return out;
}

TEST(BatchSampler, InOrderWithoutShuffle) {
  BatchSampler s(std::vector<std::size_t>(5, 1), BatchSamplerOptions().batch_size(2).shuffle(false));
  EXPECT_EQ(epoch_of(s), (Batches{{0, 1}, {2, 3}, {4}}));
  BatchSampler drop(std::vector<std::size_t>(5, 1), BatchSamplerOptions().batch_size(2).shuffle(false).drop_last(true));
  EXPECT_EQ(epoch_of(drop), (Batches{{0, 1}, {2, 3}}));
}

TEST(BatchSampler, BucketsByLength) {
  const std::vector<std::size_t> lengths{9, 1, 5, 2, 8, 6, 3, 7};
  BatchSampler s(lengths, BatchSamplerOptions().batch_size(2).shuffle(false).bucket_width(3));
  // buckets: [0,3): 1,2 (ids 1,3); [3,6): 5,3 (ids 2,6); [6,9): 8,6,7 (ids 4,5,7); [9,12): 9 (id 0)
  EXPECT_EQ(epoch_of(s), (Batches{{1, 3}, {2, 6}, {4, 5}, {7, 0}}));

  BatchSampler shuffled(lengths, BatchSamplerOptions().batch_size(2).bucket_width(4).seed(1));
  std::set<std::size_t> seen;
  for (const auto& b : epoch_of(shuffled)) {
    for (std::size_t i : b) EXPECT_TRUE(seen.insert(i).second);
    std::size_t lo = 100, hi = 0;
    for (std::size_t i : b) lo = std::min(lo, lengths[i] / 4), hi = std::max(hi, lengths[i] / 4);
    EXPECT_LE(hi - lo, 1u);  // a batch spans at most two neighbouring buckets
  }
  EXPECT_EQ(seen.size(), lengths.size());
}

TEST(BatchSampler, SeededShuffleReproducesAndResumes) {
  const std::vector<std::size_t> lengths(23, 4);
  auto options = BatchSamplerOptions().batch_size(4).seed(17);
  BatchSampler a(lengths, options), b(lengths, options);
  const Batches first = epoch_of(a);
  EXPECT_EQ(first, epoch_of(b));
  EXPECT_NE(first, epoch_of(a));  // the next epoch is reshuffled
  BatchSampler c(lengths, options);
  std::vector<std::size_t> batch;
  c.next(batch);
  c.next(batch);
  BatchSampler d(lengths, BatchSamplerOptions().batch_size(4).seed(0));
  d.restore(c.state());
  EXPECT_EQ(epoch_of(c), epoch_of(d));
}

TEST(BatchSampler, BadOptionsThrow) {
  EXPECT_THROW(BatchSampler({}, BatchSamplerOptions()), ValueError);
  EXPECT_THROW(BatchSampler({1, 2}, BatchSamplerOptions().batch_size(0)), ValueError);
  EXPECT_THROW(BatchSampler({1, 2}, BatchSamplerOptions().batch_size(3).drop_last(true)), ValueError);
}

}  // namespace
}  // namespace tg::data
