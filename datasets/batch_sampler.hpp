#pragma once
// Which examples go into which batch: seeded shuffling and bucketing by length, resumable.
#include "datasets/epoch_iterator.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tg::data {

/// Options of BatchSampler: `BatchSamplerOptions().batch_size(64).bucket_width(5).seed(3)`.
struct BatchSamplerOptions {
  std::size_t batch_size_ = 32;
  bool shuffle_ = true;
  std::size_t bucket_width_ = 0;  ///< 0: no bucketing; w: lengths [0, w), [w, 2w), ... batched together
  bool drop_last_ = false;
  std::uint64_t seed_ = 0;

  BatchSamplerOptions& batch_size(std::size_t n) { batch_size_ = n; return *this; }
  BatchSamplerOptions& shuffle(bool on) { shuffle_ = on; return *this; }
  BatchSamplerOptions& bucket_width(std::size_t w) { bucket_width_ = w; return *this; }
  BatchSamplerOptions& drop_last(bool on) { drop_last_ = on; return *this; }
  BatchSamplerOptions& seed(std::uint64_t s) { seed_ = s; return *this; }
};

/// Batches of example indices, one epoch after another. Per epoch: shuffle the examples (if
/// shuffle), stable-sort them by bucket (length / bucket_width, if bucketing), cut consecutive runs
/// of batch_size, and shuffle the order of the batches (if both), so each batch holds sequences of
/// similar length (little padding) while the epoch still mixes lengths.
///
///     tg::data::BatchSampler sampler(lengths, tg::data::BatchSamplerOptions().batch_size(64).bucket_width(4));
///     for (std::vector<std::size_t> rows; sampler.next(rows);)
///       auto batch = tg::data::pad_sequences(sources, rows, 0, pad_id);
class BatchSampler : public EpochIterator {
 public:
  /// `lengths[i]` is the length of example i (only used for bucketing).
  BatchSampler(std::vector<std::size_t> lengths, const BatchSamplerOptions& options);

  /// The next batch of the epoch; false at its end (the next call starts a new epoch).
  bool next(std::vector<std::size_t>& indices);

 protected:
  void plan_epoch(Generator& generator) override;
  std::size_t planned_batches() const override { return batches_.size(); }

 private:
  std::vector<std::size_t> lengths_;
  BatchSamplerOptions options_;
  std::vector<std::vector<std::size_t>> batches_;
};

}  // namespace tg::data
