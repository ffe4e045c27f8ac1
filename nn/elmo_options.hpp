#pragma once
// The settings of an ELMo biLM, as AllenNLP's options.json holds them, and its reader.
#include "nn/elmo_char_encoder.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tg::nn {

/// options.json's "lstm" section: each direction is n_layers LSTMs with a `dim`-wide cell projected
/// to `projection_dim` (the width of every layer's input and output), the cell clipped to
/// [-cell_clip, cell_clip] and the projection to [-proj_clip, proj_clip] (0 or none: no clipping,
/// as AllenNLP), and from the second layer on the layer's input added to its output.
struct ElmoLstmOptions {
  std::size_t dim_ = 512;
  std::size_t projection_dim_ = 128;
  std::size_t n_layers_ = 2;
  double cell_clip_ = 3;
  double proj_clip_ = 3;
  bool use_skip_connections_ = true;

  ElmoLstmOptions& dim(std::size_t v) { dim_ = v; return *this; }
  ElmoLstmOptions& projection_dim(std::size_t v) { projection_dim_ = v; return *this; }
  ElmoLstmOptions& n_layers(std::size_t v) { n_layers_ = v; return *this; }
  ElmoLstmOptions& cell_clip(double v) { cell_clip_ = v; return *this; }
  ElmoLstmOptions& proj_clip(double v) { proj_clip_ = v; return *this; }
  ElmoLstmOptions& use_skip_connections(bool v) { use_skip_connections_ = v; return *this; }
};

/// A whole biLM: the token encoder, the LSTM stacks, and (for training) the softmax's vocabulary.
/// char_cnn.projection_dim_ is the token vectors' width and must equal lstm.projection_dim_.
struct ElmoOptions {
  ElmoCharEncoderOptions char_cnn;
  ElmoLstmOptions lstm;
  /// Words of the shared softmax; 0 = none (a biLM loaded for its features only).
  std::size_t vocab_size_ = 0;

  ElmoOptions& vocab_size(std::size_t v) { vocab_size_ = v; return *this; }
};

/// Reads AllenNLP's options.json ({"lstm": {...}, "char_cnn": {...}}), e.g. the published
/// elmo_2x4096_512_2048cnn_2xhighway_options.json. A missing key, a value of the wrong type or range,
/// or an unknown activation throws IoError naming the file and the key ("char_cnn.filters[2]").
///
///     tg::nn::ElmoOptions o = tg::nn::elmo_options_from_json("elmo_options.json");
ElmoOptions elmo_options_from_json(const std::string& path);
/// The same from the file's text; `source` names it in errors.
ElmoOptions elmo_options_from_json_text(std::string_view text, const std::string& source = "<memory>");

}  // namespace tg::nn
