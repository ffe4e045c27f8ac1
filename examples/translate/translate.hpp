#pragma once
// The English->French translator of examples/translate (nn::EncoderDecoder with a plain or a
// Bahdanau attention decoder), its data, training loop, decoding and BLEU, as a library so that
// tests/examples/translate_test.cpp can train, checkpoint and resume it without the program.
#include "common/replicas.hpp"

#include <datasets/datasets.hpp>
#include <nn/decoding.hpp>
#include <nn/seq2seq.hpp>
#include <optim/optimizer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tg::examples::translate {

/// The model's shape; the defaults are d2l's chapter 10 settings.
struct ModelOptions {
  std::string model = "attention";  ///< seq2seq (d2l's plain decoder) | attention (Bahdanau's)
  std::string cell = "gru";         ///< gru | lstm | rnn
  std::size_t embed = 32;
  std::size_t hidden = 32;          ///< per encoder direction; the decoder has directions * hidden
  std::size_t layers = 2;
  double dropout = 0.1;
  bool bidirectional = false;
};

/// The encoder and the decoder `options` describe. The decoder starts from the encoder's final state
/// (d2l), so it has as many layers and directions * hidden units.
std::shared_ptr<nn::EncoderDecoder> make_model(std::size_t source_vocab, std::size_t target_vocab,
                                               const ModelOptions& options);

/// d2l's `preprocess_nmt` and word split: lower-cased, no-break spaces to ' ', a space before , . ! ?
std::vector<std::string> words(const std::string& sentence);

/// Sentence pairs as word ids, with both vocabularies (<unk> 0, then <pad> <bos> <eos>).
struct Corpus {
  data::Vocab source_vocab, target_vocab;
  std::vector<std::vector<Index>> source, target;  // without <bos>/<eos>
  std::vector<std::vector<std::string>> target_words;  // the references of BLEU (unknowns kept as words)
  std::size_t size() const { return source.size(); }
};

/// The vocabularies of `pairs` (words seen at least `min_freq` times, as d2l's 2).
std::pair<data::Vocab, data::Vocab> build_vocabs(const data::ParallelCorpus& pairs, std::size_t min_freq);
/// `pairs` tokenized and encoded with the given vocabularies.
Corpus encode(const data::ParallelCorpus& pairs, const data::Vocab& source_vocab, const data::Vocab& target_vocab);

/// How the model is trained: Adam with gradient clipping, batches of similar source lengths.
struct TrainerOptions {
  double lr = 0.005;
  double clip = 1;
  std::size_t batch_size = 64;
  std::size_t num_steps = 10;  ///< sentences are cut to this many tokens (<eos> included), as d2l
  std::uint64_t seed = 0;
};

/// What one optimizer step did.
struct StepResult {
  double loss = 0;       ///< masked cross-entropy per real target token (nats)
  double grad_norm = 0;  ///< before clipping
  std::size_t tokens = 0;
};

/// Teacher-forced training on a Corpus. A checkpoint (model.npz, optimizer.npz, checkpoint.txt)
/// holds the model, Adam's state, the batch sampler's position and the global random state
/// (dropout), so a resumed run continues bit-exactly.
///
///     Trainer trainer(make_model(sv, tv, {}), corpus, TrainerOptions{});
///     while (trainer.steps() < 1000) if (auto r = trainer.step()) log(r->loss);
///     trainer.save("runs/fra");       // later, with fresh objects: trainer.resume("runs/fra")
class Trainer {
 public:
  /// Under mpirun, `replicas` share every batch: each trains on its rows (data::shard) and the
  /// gradients are averaged over the batch's target tokens, so N processes take the steps of one.
  /// ValueError if the batch has fewer rows than there are replicas.
  Trainer(std::shared_ptr<nn::EncoderDecoder> model, const Corpus& corpus, const TrainerOptions& options,
          std::shared_ptr<Replicas> replicas = single_process());

  /// Trains on the next batch; nullopt, without training, at the end of every epoch.
  /// ValueError if the loss or gradient norm turns NaN or infinite.
  std::optional<StepResult> step();

  std::size_t steps() const { return steps_; }
  std::size_t epoch() const { return batches_.epoch(); }
  std::size_t batches_per_epoch() { return batches_.num_batches(); }

  void save(const std::string& dir) const;
  /// IoError "no checkpoint in <dir>" or naming the malformed file.
  void resume(const std::string& dir);
  static void require_checkpoint(const std::string& dir);

  nn::EncoderDecoder& model() { return *model_; }
  optim::Optimizer& optimizer() { return *optimizer_; }

 private:
  std::shared_ptr<nn::EncoderDecoder> model_;
  std::shared_ptr<Replicas> replicas_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  const Corpus& corpus_;
  TrainerOptions options_;
  data::BatchSampler batches_;
  std::size_t steps_ = 0;
};

/// Mean masked cross-entropy per target token of `corpus` (teacher forcing, as in training), in
/// evaluation mode; NaN for an empty corpus.
double evaluate_loss(nn::EncoderDecoder& model, const Corpus& corpus, std::size_t num_steps, std::size_t batch_size);

/// One translated sentence: its words and the attention weights (output words + <eos>) x (source
/// words + <eos>), empty for the plain model.
struct Translated {
  std::vector<std::string> words;
  nn::Translation raw;
};

/// Translates `sources` (word ids without <eos>) in batches of `batch_size`: greedy with beam_size 1,
/// beam search otherwise; at most max_length output tokens. Evaluation mode, no graph.
std::vector<Translated> translate(nn::EncoderDecoder& model, const data::Vocab& target_vocab,
                                  const std::vector<std::vector<Index>>& sources, std::size_t beam_size,
                                  std::size_t max_length, std::size_t batch_size = 64);

/// Held-out BLEU: the corpus BLEU-4 of all sentences and, per source length in words, the corpus
/// BLEU-4 of the sentences of that length (as Bahdanau et al.'s Figure 2).
struct BleuReport {
  double corpus = 0;
  std::size_t sentences = 0;
  struct Row {
    std::size_t length = 0, sentences = 0;
    double bleu = 0;
  };
  std::vector<Row> by_length;
};

/// Translates the first `max_sentences` (0: all) pairs of `corpus` and scores them against its
/// target words.
BleuReport evaluate_bleu(nn::EncoderDecoder& model, const Corpus& corpus, std::size_t beam_size,
                         std::size_t max_length, std::size_t max_sentences = 0);

}  // namespace tg::examples::translate
