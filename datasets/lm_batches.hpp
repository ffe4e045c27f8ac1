#pragma once
// Language-model minibatches from a token stream, as d2l's `seq_data_iter_random` and
// `seq_data_iter_sequential`: Y is X shifted by one token.
#include "autograd/random.hpp"
#include "autograd/xt.hpp"
#include "datasets/epoch_iterator.hpp"
#include "datasets/layout.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tg::data {

/// Random: each epoch drops a random offset in [0, num_steps) of the stream, cuts the rest into
/// subsequences of num_steps and shuffles them, so neighbouring batches are not contiguous (the
/// hidden state must be reset every batch). Sequential: a random offset in [0, num_steps], then
/// the stream is cut into batch_size rows read left to right, so row r of batch i+1 continues row r
/// of batch i (the hidden state can be carried over, detached).
enum class Sampling { Random, Sequential };

/// Options of LmBatchIterator: `LmBatchOptions().batch_size(32).num_steps(35).seed(1)`. Time-major by
/// default, as tapegrad's and PyTorch's recurrent layers; `.layout(Layout::BatchMajor)` for d2l's (N, L).
struct LmBatchOptions {
  std::size_t batch_size_ = 32;
  std::size_t num_steps_ = 35;
  Sampling sampling_ = Sampling::Random;
  Layout layout_ = Layout::TimeMajor;  // as the recurrent layers (batch_first = false)
  std::uint64_t seed_ = 0;

  LmBatchOptions& batch_size(std::size_t n) { batch_size_ = n; return *this; }
  LmBatchOptions& num_steps(std::size_t n) { num_steps_ = n; return *this; }
  LmBatchOptions& sampling(Sampling s) { sampling_ = s; return *this; }
  LmBatchOptions& layout(Layout l) { layout_ = l; return *this; }
  LmBatchOptions& seed(std::uint64_t s) { seed_ = s; return *this; }
};

/// Inputs X and targets Y (the next tokens), both (num_steps, batch) as the recurrent layers take
/// them, or, with Layout::BatchMajor, (batch, num_steps). The batch says which, so that a model can
/// refuse the other (a square batch would otherwise be read the wrong way round without a trace).
struct LmBatch {
  IndexArray X;
  IndexArray Y;
  Layout layout = Layout::TimeMajor;
};

/// Endless, reproducible minibatches over a token stream; `next` returns false once at the end of
/// every epoch and then starts the next one (with a new offset and order).
///
///     tg::data::LmBatchIterator it(corpus.ids, tg::data::LmBatchOptions().batch_size(32).num_steps(35)
///                                                  .sampling(tg::data::Sampling::Sequential).seed(7));
///     for (tg::data::LmBatch b; it.next(b);) train_step(b.X, b.Y);   // one epoch
///     checkpoint["data"] = it.state().str();                        // and it.restore(...) later
class LmBatchIterator : public EpochIterator {
 public:
  /// ValueError if the stream is too short for one batch at the worst offset.
  LmBatchIterator(std::vector<Index> corpus, const LmBatchOptions& options);

  /// The next batch of the epoch; false (batch untouched) at its end. num_batches() of the
  /// current epoch depends on its random offset by at most one.
  bool next(LmBatch& batch);
  const LmBatchOptions& options() const { return options_; }
  /// The smallest stream that gives one batch at every offset.
  static std::size_t min_tokens(const LmBatchOptions& options);
  /// Throws ValueError unless `tokens` tokens give one batch under `options`.
  static void check(std::size_t tokens, const LmBatchOptions& options);

 protected:
  void plan_epoch(Generator& generator) override;
  std::size_t planned_batches() const override { return starts_.size() / options_.batch_size_; }

 private:
  std::vector<Index> corpus_;
  LmBatchOptions options_;
  std::vector<std::size_t> starts_;  // start of each row of each batch, batch-major
};

/// One epoch of d2l's `seq_data_iter_random(corpus, batch_size, num_steps)`, drawing from
/// `generator` (offset, then shuffle) instead of Python's `random`. Batch-major.
std::vector<LmBatch> seq_data_iter_random(const std::vector<Index>& corpus, std::size_t batch_size,
                                          std::size_t num_steps, Generator& generator);
/// One epoch of d2l's `seq_data_iter_sequential`. Batch-major.
std::vector<LmBatch> seq_data_iter_sequential(const std::vector<Index>& corpus, std::size_t batch_size,
                                              std::size_t num_steps, Generator& generator);

}  // namespace tg::data
