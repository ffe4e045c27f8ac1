#pragma once
// ELMo's context-independent token encoder, as AllenNLP's _ElmoCharacterEncoder: character
// embedding -> Conv1d filters of several widths, each max-pooled over the characters and passed
// through an activation -> highway layers -> a linear projection.
#include "nn/conv1d.hpp"
#include "nn/highway.hpp"
#include "nn/linear.hpp"

#include <utility>
#include <vector>

namespace tg::nn {

/// The character CNN's nonlinearity (options.json's "activation").
enum class ElmoActivation { Relu, Tanh };

/// options.json's "char_cnn" section plus the output width ("lstm"/"projection_dim"). The default is
/// a small encoder that trains on two cores; elmo_options_from_json (nn/elmo_files.hpp) gives the
/// published ones (2048 filters, 16-dim characters).
struct ElmoCharEncoderOptions {
  std::size_t embedding_dim_ = 16;
  /// (width, number of filters) pairs; their total is the highway layers' width.
  std::vector<std::pair<std::size_t, std::size_t>> filters_ = {{1, 32}, {2, 32}, {3, 64}, {4, 128}};
  std::size_t n_highway_ = 1;
  std::size_t projection_dim_ = 128;
  ElmoActivation activation_ = ElmoActivation::Relu;
  std::size_t n_characters_ = 262;  // ids 0 (masked) .. 261, see data::ElmoChars
  std::size_t max_characters_per_token_ = 50;

  ElmoCharEncoderOptions& embedding_dim(std::size_t v) { embedding_dim_ = v; return *this; }
  ElmoCharEncoderOptions& filters(std::vector<std::pair<std::size_t, std::size_t>> v) { filters_ = std::move(v); return *this; }
  ElmoCharEncoderOptions& n_highway(std::size_t v) { n_highway_ = v; return *this; }
  ElmoCharEncoderOptions& projection_dim(std::size_t v) { projection_dim_ = v; return *this; }
  ElmoCharEncoderOptions& activation(ElmoActivation v) { activation_ = v; return *this; }
  ElmoCharEncoderOptions& n_characters(std::size_t v) { n_characters_ = v; return *this; }
  ElmoCharEncoderOptions& max_characters_per_token(std::size_t v) { max_characters_per_token_ = v; return *this; }
  /// Sum of the filter counts.
  std::size_t n_filters() const;
};

/// Character ids (N, T, 50) -> token vectors (N, T, projection_dim). Parameters are named as
/// AllenNLP's: `_char_embedding_weights` (n_characters, dim; row 0 is the mask's and stays zero),
/// `char_conv_<i>.weight/bias`, `_highways._layers.<k>.weight/bias` (AllenNLP's highway, relu) and
/// `_projection.weight/bias`, so a state dict of AllenNLP's encoder loads by name.
///
///     auto encoder = std::make_shared<tg::nn::ElmoCharacterEncoder>(tg::nn::ElmoCharEncoderOptions());
///     tg::Tensor tokens = encoder->forward(tg::data::elmo_batch_to_ids({{"a", "cat"}}));   // (1, 2, 128)
class ElmoCharacterEncoder : public Module {
 public:
  explicit ElmoCharacterEncoder(const ElmoCharEncoderOptions& options);

  Tensor forward(const IndexArray& char_ids);
  void reset_parameters();

  ElmoCharEncoderOptions options;
  Tensor char_embedding;
  std::vector<std::shared_ptr<Conv1d>> convolutions;
  std::shared_ptr<Highway> highways;
  std::shared_ptr<Linear> projection;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
