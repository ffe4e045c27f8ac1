#pragma once
// The character-level language model of examples/char_lm and its training loop, as a library so
// that tests/examples/char_lm_test.cpp can train, checkpoint and resume it without the program.
#include "common/replicas.hpp"

#include <datasets/datasets.hpp>
#include <nn/embedding.hpp>
#include <nn/linear.hpp>
#include <nn/rnn.hpp>
#include <optim/optimizer.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tg::examples::char_lm {

/// The model's shape. `embed` 0 feeds one-hot vectors of the vocabulary to the recurrent layer, as
/// d2l's RNN language models do (no embedding).
struct ModelOptions {
  std::string model = "lstm";  ///< rnn | gru | lstm
  std::size_t layers = 1;
  std::size_t hidden = 128;
  std::size_t embed = 32;
  double dropout = 0;          ///< between recurrent layers
};

/// How many parameters CharLM(vocab_size, options) has, computed without building it.
double parameter_count(std::size_t vocab_size, const ModelOptions& options);

/// Throws ValueError, naming the parameter count and the memory it needs, if the weights, their
/// gradients and the optimizer's state (`optimizer` sgd | adam) would not fit in this machine's
/// memory: the alternative is std::bad_alloc from deep inside the first allocation.
void check_fits_in_memory(std::size_t vocab_size, const ModelOptions& options, const std::string& optimizer);

/// ids (L, N) -> logits (L, N, vocab): embedding (or one-hot) -> RNN/GRU/LSTM -> linear head, with
/// PyTorch's parameter names (`embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`).
/// Time-major, as the recurrent layers and the batch iterators by default.
///
///     auto model = std::make_shared<CharLM>(vocab.size(), ModelOptions{.model = "gru", .embed = 0});
///     auto [logits, state] = model->forward(ids, {});   // pass `state` (detached) to the next batch
class CharLM : public nn::Module {
 public:
  CharLM(std::size_t vocab_size, const ModelOptions& options);
  std::pair<Tensor, nn::RecurrentState> forward(const IndexArray& ids, const nn::RecurrentState& state);
  /// forward(batch.X, state); ShapeError if the batch is batch-major (its (N, L) ids would be read
  /// as N steps of L sequences, a mistake no shape check can see).
  std::pair<Tensor, nn::RecurrentState> forward(const data::LmBatch& batch, const nn::RecurrentState& state);

  std::size_t vocab_size() const { return vocab_size_; }

  std::shared_ptr<nn::Embedding> embedding;  ///< null with embed 0 (one-hot input)
  std::shared_ptr<nn::RecurrentLayer> rnn;
  std::shared_ptr<nn::Linear> head;

 protected:
  std::string extra_repr() const override;

 private:
  std::size_t vocab_size_;
  ModelOptions options_;
};

/// ids (...) -> (..., num_classes) with a 1 at each id, as `F.one_hot(ids, n).to(dtype)`. A constant:
/// it does not require grad. ValueError if an id is outside [0, num_classes).
Tensor one_hot(const IndexArray& ids, std::size_t num_classes, Dtype dtype = kFloat32);

/// A text with structure to learn (subject, verb, object sentences in random combinations) of at
/// least `chars` characters, the same for the same seed: what char_lm trains on without --data.
std::string generated_text(std::uint64_t seed, std::size_t chars = 60000);

/// A character corpus: the vocabulary and the ids of the text.
struct CharCorpus {
  data::Vocab vocab;
  std::vector<Index> ids;
};

/// d2l's `load_corpus_time_machine(max_tokens)`: the characters of `text` cleaned by `normalizer`, a
/// vocabulary of all of them (or `vocab`, e.g. the one saved by the run being resumed), and the ids
/// of the first `max_chars` (0: all).
///
///     auto corpus = char_corpus(text, tg::data::Normalizer::TimeMachine, 10000);   // 28 tokens
CharCorpus char_corpus(std::string_view text, data::Normalizer normalizer, std::size_t max_chars = 0,
                       std::optional<data::Vocab> vocab = std::nullopt);

/// The `--normalizer` choices: keep, lower, d2l (Time Machine: letters and spaces only, lower-cased).
const std::vector<std::pair<std::string, data::Normalizer>>& normalizer_names();

/// Mean cross-entropy per character (nats) of `model` over `ids`, read in order in batch_size rows
/// with the state carried across batches; NaN if `ids` is too short for one batch.
double evaluate(CharLM& model, const std::vector<Index>& ids, std::size_t batch_size, std::size_t num_steps);

/// `prompt` followed by `n` generated characters: greedy with temperature <= 0, otherwise sampled
/// from softmax(logits / temperature) with `generator`.
std::string sample(CharLM& model, const data::Vocab& vocab, const std::string& prompt, std::size_t n,
                   double temperature, Generator& generator);

/// How the model is trained. The defaults are d2l's chapter 8/9 settings.
struct TrainerOptions {
  std::string optimizer = "sgd";  ///< sgd | adam
  double lr = 1;
  double clip = 1;                ///< max global gradient norm; 0: no clipping (the norm is still measured)
  std::size_t batch_size = 32;
  std::size_t num_steps = 35;
  data::Sampling sampling = data::Sampling::Sequential;
  std::uint64_t seed = 0;         ///< batching order and the sample generator
};

/// What one optimizer step did.
struct StepResult {
  double loss = 0;       ///< mean cross-entropy of the batch (nats per character)
  double grad_norm = 0;  ///< before clipping
  std::size_t tokens = 0;
};

/// Truncated BPTT over a token stream, as d2l's `train_epoch_ch8`: sequential batches carry the
/// (detached) state from one batch to the next and start afresh each epoch; random batches start
/// every batch from zero. A checkpoint holds everything needed to continue bit-exactly: model,
/// optimizer, data position, carried state and both random streams (the global one for dropout, the
/// sample generator).
///
/// Data-parallel with several `replicas` (mpirun): `batch_size` is the global batch; every replica
/// trains on its share of each batch's rows (distributed::shard: 32 rows on 3 ranks are 11 + 11 + 10),
/// carries the state of those rows, and the gradients are averaged weighted by the shares, so the
/// steps are those of one process on the whole batch, to float rounding. Losses and norms are the
/// whole batch's on every replica. save() and resume() are collective: rank 0 writes and reads the
/// files, with every replica's carried rows and random stream; a checkpoint resumes only with the
/// world size that wrote it.
///
///     tg::manual_seed(0);
///     Trainer trainer(std::make_shared<CharLM>(vocab.size(), ModelOptions{}), ids, TrainerOptions{});
///     while (trainer.epoch() < 10)
///       if (auto r = trainer.step()) log(r->loss); else end_of_epoch();
///     trainer.save("runs/lm");        // later, with fresh objects: trainer.resume("runs/lm")
class Trainer {
 public:
  /// ValueError (from the batch iterator) if `train_ids` is too short for one batch, or if the batch
  /// has fewer rows than there are replicas.
  Trainer(std::shared_ptr<CharLM> model, std::vector<Index> train_ids, const TrainerOptions& options,
          std::shared_ptr<Replicas> replicas = single_process());

  /// Trains on the next batch. nullopt, without training, once at the end of every epoch; the call
  /// after that starts the next epoch.
  /// ValueError, saying so and what to change, if the loss or the gradient norm turns NaN or
  /// infinite or the loss explodes (beyond 2 ln(vocab) + 10 nats, where a uniform guess scores ln(vocab)).
  std::optional<StepResult> step();

  std::size_t steps() const { return steps_; }
  /// Epochs completed.
  std::size_t epoch() const { return batches_.epoch(); }
  /// Mean loss of the epoch in progress, or of the one just finished after step() returned nullopt.
  /// Kept in checkpoints, so that a resumed run reports the same epoch means as an uninterrupted one.
  double epoch_loss() const { return epoch_batches_ ? epoch_loss_sum_ / static_cast<double>(epoch_batches_) : NAN; }
  /// Batches in the current epoch.
  std::size_t batches_per_epoch() { return batches_.num_batches(); }

  /// Writes model.npz, optimizer.npz, carry.npz and checkpoint.txt into `dir` (which must exist);
  /// checkpoint.txt is replaced atomically, last.
  void save(const std::string& dir) const;
  /// Restores what save() wrote, including the global random state. IoError if a file is missing
  /// or malformed ("no checkpoint in <dir>" if there is none); ValueError if another number of
  /// replicas wrote it.
  void resume(const std::string& dir);
  /// IoError "no checkpoint in <dir>" unless `dir` holds one (resume() checks it first).
  static void require_checkpoint(const std::string& dir);

  CharLM& model() { return *model_; }
  Replicas& replicas() { return *replicas_; }
  optim::Optimizer& optimizer() { return *optimizer_; }
  Generator& sample_generator() { return sample_generator_; }

 private:
  // Throws the divergence error unless value <= bound.
  void check_converging(const char* what, double value, double bound) const;

  // This replica's columns of a time-major batch.
  data::LmBatch my_share(const data::LmBatch& batch) const;

  std::shared_ptr<CharLM> model_;
  std::shared_ptr<Replicas> replicas_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  TrainerOptions options_;
  std::size_t share_begin_ = 0, share_end_ = 0;  // this replica's rows of every batch
  data::LmBatchIterator batches_;
  Generator sample_generator_;
  nn::RecurrentState carry_;
  std::size_t steps_ = 0;
  double epoch_loss_sum_ = 0;
  std::size_t epoch_batches_ = 0;
  bool epoch_ended_ = false;  // the next batch starts a new epoch mean
};

}  // namespace tg::examples::char_lm
