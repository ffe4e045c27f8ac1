#pragma once
// W5's model built from the library's modules (nn::Seq2SeqEncoder, nn::Seq2SeqAttentionDecoder,
// nn::EncoderDecoder) with the peers' initial parameters, shared by tapegrad_workloads (training) and
// tapegrad_decoding (bench/decoding/: greedy and beam search).
#include "harness.hpp"

#include "autograd/ops.hpp"
#include "nn/seq2seq.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <string>

namespace bench::tapegrad {

/// The bench names of W5's parameters (bench::init_values' streams, and the PyTorch peer's names) by
/// their names in the module model: the peers write a Seq2Seq struct of their own, whose decoder is
/// one GRUCell per layer and whose output layer is `fc`.
inline std::map<std::string, std::string> w5_bench_names(std::size_t layers) {
  std::map<std::string, std::string> names{
      {"encoder.embedding.weight", "encoder_embedding.weight"},
      {"decoder.embedding.weight", "decoder_embedding.weight"},
      {"decoder.attention.W_q.weight", "attention.W_q.weight"},
      {"decoder.attention.W_k.weight", "attention.W_k.weight"},
      {"decoder.attention.w_v.weight", "attention.w_v.weight"},
      {"decoder.dense.weight", "fc.weight"},
      {"decoder.dense.bias", "fc.bias"},
  };
  for (std::size_t l = 0; l < layers; ++l)
    for (std::string p : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
      const std::string layer = std::to_string(l);
      names["encoder.rnn." + p + "_l" + layer] = "encoder." + p + "_l" + layer;
      names["decoder.rnn." + p + "_l" + layer] = "decoder." + layer + "." + p;
    }
  return names;
}

/// init_parameters through w5_bench_names; an unnamed parameter throws. The decoder's first layer
/// reads [embedded; context] while the peers' reads [context; embedded] (same width, so the same
/// stream): the columns of its weight_ih come swapped.
inline void init_w5_parameters(tg::nn::EncoderDecoder& model) {
  const auto names = w5_bench_names(model.decoder->options.num_layers_);
  const auto params = model.named_parameters();
  if (params.size() != names.size())
    tg::fail<tg::ValueError>("W5: the model has {} parameters, the bench names {}", params.size(), names.size());
  const std::size_t embed = model.decoder->options.embed_size_, context = model.decoder->options.context_size_;
  for (auto& [name, param] : params) {
    const auto bench_name = names.find(name);
    if (bench_name == names.end()) tg::fail<tg::ValueError>("W5: parameter {} has no bench name", name);
    auto& data = param.data<float>();
    const std::vector<std::int64_t> shape(data.shape().begin(), data.shape().end());
    xt::xarray<float> values = xt::adapt(bench::init_values(bench_name->second, shape), data.shape());
    if (name == "decoder.rnn.weight_ih_l0")  // peer columns [context | embedded] -> [embedded | context]
      values = xt::concatenate(xt::xtuple(xt::view(values, xt::all(), xt::range(context, context + embed)),
                                          xt::view(values, xt::all(), xt::range(0, context))), 1);
    std::copy(values.begin(), values.end(), data.begin());
  }
}

/// W5's model: GRU encoder; GRU decoder with additive attention, starting from the encoder's final
/// state; the W5 initial parameters.
inline std::shared_ptr<tg::nn::EncoderDecoder> make_w5_model(const bench::Seq2SeqSpec& s) {
  namespace nn = tg::nn;
  const auto embed = static_cast<std::size_t>(s.embed), hidden = static_cast<std::size_t>(s.hidden);
  const auto layers = static_cast<std::size_t>(s.layers);
  auto encoder =
      std::make_shared<nn::Seq2SeqEncoder>(nn::Seq2SeqEncoderOptions(s.vocab_src, embed, hidden).num_layers(layers));
  auto decoder = std::make_shared<nn::Seq2SeqAttentionDecoder>(
      nn::Seq2SeqDecoderOptions(s.vocab_tgt, embed, hidden, encoder->output_size()).num_layers(layers));
  auto model = std::make_shared<nn::EncoderDecoder>(encoder, decoder);
  init_w5_parameters(*model);
  return model;
}

}  // namespace bench::tapegrad
