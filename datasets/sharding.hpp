#pragma once
// Which examples each rank reads: every epoch is one seed-determined order of the data set, cut into
// global batches, and every global batch into one disjoint share per rank.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tg::data {

/// The part [begin, end) of `n` items that `rank` of `world_size` takes: contiguous and disjoint,
/// covering [0, n), the first n % world_size ranks taking one more. Empty for ranks beyond n.
/// Any batching (a BatchSampler's rows, a language model's batch rows) becomes data-parallel by
/// giving each rank shard() of every batch.
///
///     auto [begin, end] = tg::data::shard(32, rank, 3);   // 11, 11, 10 rows
struct Shard {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};
Shard shard(std::size_t n, int rank, int world_size);

/// The epochs of a data set of `size` examples for one rank: epoch e visits the examples in a
/// permutation drawn from (seed, e), cut into global batches of `batch_size` (the last one smaller
/// if batch_size does not divide size), and this rank reads shard() of each. The global batches do
/// not depend on the world size, so W ranks on a batch of B together see exactly what one process
/// on B sees; the run is reproducible for a given seed and world size.
///
///     tg::data::ShardedEpochs epochs(dataset.size(), 64, /*seed=*/7, rank(), world_size());
///     for (std::size_t b = 0; b < epochs.num_batches(); ++b) train_on(epochs.batch(epoch, b));
class ShardedEpochs {
 public:
  /// ValueError if size or batch_size is 0 or the rank is outside [0, world_size).
  ShardedEpochs(std::size_t size, std::size_t batch_size, std::uint64_t seed, int rank, int world_size);

  std::size_t num_batches() const { return (size_ + batch_size_ - 1) / batch_size_; }
  /// Examples of global batch `index` of `epoch`, in the whole batch.
  std::size_t global_batch_size(std::size_t index) const;
  /// This rank's examples (indices into the data set) of global batch `index` of `epoch`; may be
  /// empty in a last batch smaller than the world size.
  std::vector<std::size_t> batch(std::uint64_t epoch, std::size_t index) const;

 private:
  const std::vector<std::size_t>& order(std::uint64_t epoch) const;

  std::size_t size_, batch_size_;
  std::uint64_t seed_;
  int rank_, world_size_;
  mutable std::uint64_t cached_epoch_ = 0;  // order() of the last epoch asked for
  mutable std::vector<std::size_t> cached_order_;
};

}  // namespace tg::data
