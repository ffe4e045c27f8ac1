#include "nn/elmo_char_encoder.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

#include <numeric>

namespace tg::nn {

std::size_t ElmoCharEncoderOptions::n_filters() const {
  return std::accumulate(filters_.begin(), filters_.end(), std::size_t(0),
                         [](std::size_t sum, const auto& f) { return sum + f.second; });
}

ElmoCharacterEncoder::ElmoCharacterEncoder(const ElmoCharEncoderOptions& options_)
    : Module("ElmoCharacterEncoder"), options(options_) {
  if (options.filters_.empty() || options.embedding_dim_ == 0 || options.projection_dim_ == 0 ||
      options.n_characters_ < 2)
    fail<ValueError>("{}: needs filters, a positive embedding and projection size and at least 2 characters",
                     describe());
  for (std::size_t i = 0; i < options.filters_.size(); ++i) {
    const auto [width, count] = options.filters_[i];
    if (width == 0 || width > options.max_characters_per_token_ || count == 0)
      fail<ValueError>("{}: filter {} is [{}, {}]; its width must be in [1, {}] and its count positive", describe(), i,
                       width, count, options.max_characters_per_token_);
  }
  char_embedding = register_parameter("_char_embedding_weights", zeros({options.n_characters_, options.embedding_dim_}));
  for (std::size_t i = 0; i < options.filters_.size(); ++i)
    convolutions.push_back(register_module(
        "char_conv_" + std::to_string(i),
        std::make_shared<Conv1d>(options.embedding_dim_, options.filters_[i].second, options.filters_[i].first)));
  // AllenNLP's highway always uses relu, whatever the CNN's activation.
  highways = register_module("_highways", std::make_shared<Highway>(options.n_filters(), options.n_highway_));
  projection = register_module("_projection", std::make_shared<Linear>(options.n_filters(), options.projection_dim_));
  reset_parameters();
}

void ElmoCharacterEncoder::reset_parameters() {
  // bilm-tf draws the character embedding from U(-1, 1); row 0 is the mask's.
  init::uniform_(char_embedding, -1, 1);
  visit_dtype(char_embedding.dtype(), [&]<class T>() { xt::view(char_embedding.data<T>(), 0, xt::all()) = T(0); });
  for (auto& conv : convolutions) conv->reset_parameters();
  highways->reset_parameters();
  projection->reset_parameters();
}

Tensor ElmoCharacterEncoder::forward(const IndexArray& char_ids) {
  auto scope = record_scope();
  const std::size_t chars = options.max_characters_per_token_;
  if (char_ids.dimension() != 3 || char_ids.shape()[2] != chars)
    fail<ShapeError>("{}: character ids of shape {} must be (N, T, {})", describe(), shape_str(char_ids.shape()), chars);
  const std::size_t n = char_ids.shape()[0], steps = char_ids.shape()[1];
  // (N*T, chars, dim) -> (N*T, dim, chars): channels first for the convolutions.
  IndexArray flat = xt::reshape_view(char_ids, {n * steps, chars});
  Tensor embedded = transpose(embedding(char_embedding, flat, Index(0)), 1, 2);
  std::vector<Tensor> pooled;
  for (auto& conv : convolutions) {
    Tensor features = conv->forward_max_over_time(embedded);
    pooled.push_back(options.activation_ == ElmoActivation::Relu ? relu(features) : tanh(features));
  }
  Tensor tokens = projection->forward(highways->forward(concat(pooled, -1)));
  return reshape(tokens, {static_cast<long>(n), static_cast<long>(steps), -1});
}

std::string ElmoCharacterEncoder::extra_repr() const {
  std::vector<std::string> filters;
  for (const auto& [width, count] : options.filters_) filters.push_back(fmt::format("[{}, {}]", width, count));
  return fmt::format("embedding_dim={}, filters=[{}], n_highway={}, projection_dim={}, activation={}",
                     options.embedding_dim_, fmt::join(filters, ", "), options.n_highway_, options.projection_dim_,
                     options.activation_ == ElmoActivation::Relu ? "relu" : "tanh");
}

}  // namespace tg::nn
