#pragma once
// ELMo features for another model, as AllenNLP's Elmo: a frozen biLM and trainable scalar mixes.
#include "nn/elmo_bilm.hpp"
#include "nn/scalar_mix.hpp"

#include <utility>
#include <vector>

namespace tg::nn {

struct ElmoMixOptions {
  /// How many different mixes of the layers to return (e.g. 2: one for a tagger's input, one for its output).
  ElmoMixOptions& num_output_representations(std::size_t n) { num_output_representations_ = n; return *this; }
  ElmoMixOptions& do_layer_norm(bool on) { do_layer_norm_ = on; return *this; }
  /// Dropout on each returned representation, in training mode (AllenNLP's default 0.5).
  ElmoMixOptions& dropout(double p) { dropout_ = p; return *this; }
  /// Keep the <S> and </S> positions in the output (AllenNLP removes them by default).
  ElmoMixOptions& keep_sentence_boundaries(bool on) { keep_sentence_boundaries_ = on; return *this; }

  std::size_t num_output_representations_ = 1;
  bool do_layer_norm_ = false;
  double dropout_ = 0.5;
  bool keep_sentence_boundaries_ = false;
};

/// Representations (N, T, 2P) and the mask (N, T) of the tokens they belong to.
struct ElmoOutput {
  std::vector<Tensor> elmo_representations;
  Mask mask;
};

/// Runs the biLM once and mixes its layers num_output_representations ways. The biLM's parameters
/// are frozen (requires_grad false), the mixes train. Input: character ids with the sentence
/// boundaries, as data::add_elmo_sentence_boundaries makes them; output without them (unless kept):
/// for (N, T + 2, 50) ids, representations (N, T, 2P) with the mask of the original tokens.
/// Submodules are AllenNLP's `_elmo_lstm` and `scalar_mix_<k>`.
///
///     auto elmo = std::make_shared<tg::nn::Elmo>(tg::nn::load_allennlp_elmo("options.json", "weights.hdf5"));
///     auto chars = tg::data::add_elmo_sentence_boundaries(tg::data::elmo_batch_to_ids(sentences));
///     tg::nn::ElmoOutput out = elmo->forward(chars.ids);   // out.elmo_representations[0]: (N, T, 1024)
class Elmo : public Module {
 public:
  explicit Elmo(std::shared_ptr<ElmoBiLm> bilm, const ElmoMixOptions& options = {});

  ElmoOutput forward(const IndexArray& char_ids);

  ElmoMixOptions options;
  std::shared_ptr<ElmoBiLm> bilm;
  std::vector<std::shared_ptr<ScalarMix>> scalar_mixes;

 protected:
  std::string extra_repr() const override;
};

/// AllenNLP's remove_sentence_boundaries: x (N, T + 2, D) with each sentence's n tokens between its
/// <S> and </S> (mask (N, T + 2), each sentence's positions first) -> (N, T, D) holding the n tokens
/// first and zeros after, and their mask (N, T).
///
///     auto [tokens, mask] = tg::nn::remove_sentence_boundaries(x, bounded_mask);
std::pair<Tensor, Mask> remove_sentence_boundaries(const Tensor& x, const Mask& mask);

}  // namespace tg::nn
