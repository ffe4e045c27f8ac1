#include "datasets/lm_batches.hpp"

#include "autograd/error.hpp"
#include "datasets/shuffle.hpp"

namespace tg::data {

std::size_t LmBatchIterator::min_tokens(const LmBatchOptions& o) {
  // Random: offset num_steps - 1 leaves (n - num_steps) / num_steps subsequences;
  // sequential: offset num_steps leaves rows of (n - num_steps - 1) / batch_size tokens.
  return o.sampling_ == Sampling::Random ? (o.batch_size_ + 1) * o.num_steps_
                                         : (o.batch_size_ + 1) * o.num_steps_ + 1;
}

void LmBatchIterator::check(std::size_t tokens, const LmBatchOptions& options) {
  if (options.batch_size_ == 0 || options.num_steps_ == 0)
    fail<ValueError>("LmBatchIterator: batch_size ({}) and num_steps ({}) must be positive", options.batch_size_,
                     options.num_steps_);
  if (tokens < min_tokens(options))
    fail<ValueError>("LmBatchIterator: a stream of {} tokens is too short for batch_size {} x num_steps {} "
                     "({} sampling needs at least {} tokens)",
                     tokens, options.batch_size_, options.num_steps_,
                     options.sampling_ == Sampling::Random ? "random" : "sequential", min_tokens(options));
}

LmBatchIterator::LmBatchIterator(std::vector<Index> corpus, const LmBatchOptions& options)
    : EpochIterator(options.seed_), corpus_(std::move(corpus)), options_(options) {
  check(corpus_.size(), options);
}

namespace {

// Where each row of each batch starts in the stream (batch-major): the random choices of one epoch,
// drawn in d2l's order (offset, then shuffle).
std::vector<std::size_t> plan_starts(std::size_t n, std::size_t rows, std::size_t steps, Sampling sampling,
                                     Generator& generator) {
  std::vector<std::size_t> starts;
  if (sampling == Sampling::Random) {
    const std::size_t offset = generator.below(steps);
    const std::size_t subseqs = (n - offset - 1) / steps;
    for (std::size_t k = 0; k < subseqs; ++k) starts.push_back(offset + k * steps);
    shuffle(starts, generator);
    starts.resize(subseqs / rows * rows);
  } else {
    const std::size_t offset = generator.below(steps + 1);
    const std::size_t row_length = (n - offset - 1) / rows;
    for (std::size_t i = 0; i < row_length / steps; ++i)
      for (std::size_t r = 0; r < rows; ++r) starts.push_back(offset + r * row_length + i * steps);
  }
  return starts;
}

LmBatch make_batch(const std::vector<Index>& corpus, const std::vector<std::size_t>& starts, std::size_t index,
                   std::size_t rows, std::size_t steps, Layout layout) {
  const bool time_major = layout == Layout::TimeMajor;
  const Shape shape = time_major ? Shape{steps, rows} : Shape{rows, steps};
  LmBatch batch{IndexArray::from_shape(shape), IndexArray::from_shape(shape), layout};
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t start = starts[index * rows + r];
    for (std::size_t t = 0; t < steps; ++t) {
      const std::size_t i = time_major ? t * rows + r : r * steps + t;
      batch.X.data()[i] = corpus[start + t];
      batch.Y.data()[i] = corpus[start + t + 1];
    }
  }
  return batch;
}

std::vector<LmBatch> one_epoch(const std::vector<Index>& corpus, std::size_t batch_size, std::size_t num_steps,
                               Sampling sampling, Generator& generator) {
  const auto options = LmBatchOptions().batch_size(batch_size).num_steps(num_steps).sampling(sampling);
  LmBatchIterator::check(corpus.size(), options);
  const auto starts = plan_starts(corpus.size(), batch_size, num_steps, sampling, generator);
  std::vector<LmBatch> batches;
  for (std::size_t i = 0; i < starts.size() / batch_size; ++i)
    batches.push_back(make_batch(corpus, starts, i, batch_size, num_steps, Layout::BatchMajor));
  return batches;
}

}  // namespace

void LmBatchIterator::plan_epoch(Generator& generator) {
  starts_ = plan_starts(corpus_.size(), options_.batch_size_, options_.num_steps_, options_.sampling_, generator);
}

bool LmBatchIterator::next(LmBatch& batch) {
  const auto index = advance();
  if (!index) return false;
  batch = make_batch(corpus_, starts_, *index, options_.batch_size_, options_.num_steps_, options_.layout_);
  return true;
}

std::vector<LmBatch> seq_data_iter_random(const std::vector<Index>& corpus, std::size_t batch_size,
                                          std::size_t num_steps, Generator& generator) {
  return one_epoch(corpus, batch_size, num_steps, Sampling::Random, generator);
}

std::vector<LmBatch> seq_data_iter_sequential(const std::vector<Index>& corpus, std::size_t batch_size,
                                              std::size_t num_steps, Generator& generator) {
  return one_epoch(corpus, batch_size, num_steps, Sampling::Sequential, generator);
}

}  // namespace tg::data
