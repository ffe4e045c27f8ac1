#include "datasets/sharding.hpp"

#include "datasets/shuffle.hpp"

#include <autograd/error.hpp>
#include <autograd/random.hpp>

#include <algorithm>

namespace tg::data {

Shard shard(std::size_t n, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    fail<ValueError>("tg::data::shard: rank {} is outside [0, {})", rank, world_size);
  const auto r = static_cast<std::size_t>(rank), w = static_cast<std::size_t>(world_size);
  const std::size_t base = n / w, extra = n % w;
  const std::size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

ShardedEpochs::ShardedEpochs(std::size_t size, std::size_t batch_size, std::uint64_t seed, int rank, int world_size)
    : size_(size), batch_size_(batch_size), seed_(seed), rank_(rank), world_size_(world_size) {
  if (size == 0 || batch_size == 0)
    fail<ValueError>("ShardedEpochs: {} examples in batches of {}; both must be positive", size, batch_size);
  shard(0, rank, world_size);  // names a rank outside the world
}

std::size_t ShardedEpochs::global_batch_size(std::size_t index) const {
  if (index >= num_batches())
    fail<ValueError>("ShardedEpochs: batch {} of an epoch of {} batches", index, num_batches());
  return std::min(batch_size_, size_ - index * batch_size_);
}

const std::vector<std::size_t>& ShardedEpochs::order(std::uint64_t epoch) const {
  if (cached_order_.empty() || cached_epoch_ != epoch) {
    // One generator per epoch, seeded from (seed, epoch) alone: any epoch's order without replaying
    // the ones before it (resuming mid-run), and the same on every rank.
    Generator g(seed_ * 0x9E3779B97F4A7C15ull + epoch);
    cached_order_ = random_permutation(size_, g);
    cached_epoch_ = epoch;
  }
  return cached_order_;
}

std::vector<std::size_t> ShardedEpochs::batch(std::uint64_t epoch, std::size_t index) const {
  const std::size_t n = global_batch_size(index);
  const std::vector<std::size_t>& all = order(epoch);
  const Shard mine = shard(n, rank_, world_size_);
  const auto first = all.begin() + static_cast<std::ptrdiff_t>(index * batch_size_);
  return {first + static_cast<std::ptrdiff_t>(mine.begin), first + static_cast<std::ptrdiff_t>(mine.end)};
}

}  // namespace tg::data
