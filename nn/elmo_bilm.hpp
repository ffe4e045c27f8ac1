#pragma once
// ELMo's bidirectional language model, as AllenNLP's _ElmoBiLm plus the shared softmax that trains it.
#include "nn/elmo_char_encoder.hpp"
#include "nn/elmo_lstm.hpp"
#include "nn/elmo_options.hpp"

#include <vector>

namespace tg::nn {

/// What the biLM computes for a batch: n_layers + 1 activations (N, T, 2P), batch-major as
/// AllenNLP's. Layer 0 is the token encoding duplicated to both directions' width (zero at padded
/// positions), layer k the k-th layers of the two stacks side by side; `mask` (N, T) marks tokens.
struct ElmoBiLmOutput {
  std::vector<Tensor> activations;
  Mask mask;
};

/// The two directions' cross-entropies (means over their predictions) and the training loss
/// 0.5 * (forward + backward); exp of each direction's is its perplexity.
struct BiLmLosses {
  Tensor forward, backward, total;
};

/// Token encoder -> ElmoLstm, over character ids WITH the sentence boundaries, as
/// data::add_elmo_sentence_boundaries makes them: (N, T, 50), each sentence's tokens first (a token is
/// present where any of its ids is non-zero). Submodules are AllenNLP's `_token_embedder` and
/// `_elmo_lstm`, so AllenNLP's state dict loads; `softmax` (Linear(P, vocab_size)) is there when
/// options.vocab_size_ > 0, shared by both directions.
///
///     auto bilm = std::make_shared<tg::nn::ElmoBiLm>(tg::nn::ElmoOptions().vocab_size(vocab.size()));
///     auto chars = tg::data::add_elmo_sentence_boundaries(tg::data::elmo_batch_to_ids(sentences));
///     tg::Tensor loss = bilm->loss(chars.ids, words);   // words: (N, T) ids, with <S>/</S> ids too
///     auto out = bilm->forward(chars.ids);              // out.activations[0..n_layers]
class ElmoBiLm : public Module {
 public:
  explicit ElmoBiLm(const ElmoOptions& options);

  ElmoBiLmOutput forward(const IndexArray& char_ids);
  /// 0.5 * (CE_forward + CE_backward): the forward stack's top output at t predicts targets[t + 1],
  /// the backward one's at t predicts targets[t - 1], over the valid positions of each sentence
  /// (each cross-entropy is the mean over its predictions). targets (N, T) are word ids in
  /// [0, vocab_size); positions beyond a sentence are not read.
  Tensor loss(const IndexArray& char_ids, const IndexArray& targets) { return losses(char_ids, targets).total; }
  /// loss() with each direction's cross-entropy too (for the perplexities).
  BiLmLosses losses(const IndexArray& char_ids, const IndexArray& targets);
  /// The number of activations: n_layers + 1.
  std::size_t num_layers() const { return options.lstm.n_layers_ + 1; }
  /// The activations' width: 2 * projection_dim.
  std::size_t output_dim() const { return 2 * options.lstm.projection_dim_; }

  ElmoOptions options;
  std::shared_ptr<ElmoCharacterEncoder> token_embedder;
  std::shared_ptr<ElmoLstm> elmo_lstm;
  std::shared_ptr<Linear> softmax;  // null without a vocabulary

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
