#pragma once
// W1-W4's model and the benchmarks' deterministic initialisation, shared by tapegrad_workloads and
// tapegrad_data_parallel (bench/distributed/).
#include "harness.hpp"

#include "autograd/ops.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"
#include "nn/rnn.hpp"

#include <algorithm>
#include <memory>

namespace bench::tapegrad {

using tg::IndexArray;
using tg::Tensor;
namespace nn = tg::nn;

inline IndexArray index_array(const std::vector<std::int64_t>& values, const std::vector<std::size_t>& shape) {
  return xt::adapt(values, shape);
}

inline void init_parameters(nn::Module& model) {
  for (auto& [name, param] : model.named_parameters()) {
    auto& data = param.data<float>();
    const auto values = bench::init_values(name, {data.shape().begin(), data.shape().end()});
    std::copy(values.begin(), values.end(), data.begin());
  }
}

/// W1-W4: Embedding -> LSTM/GRU -> Linear at every position.
struct Tagger : nn::Module {
  explicit Tagger(const bench::TaggerSpec& s) : Module("Tagger") {
    const auto in = static_cast<std::size_t>(s.embed), hidden = static_cast<std::size_t>(s.hidden);
    const auto layers = static_cast<std::size_t>(s.layers);
    embedding = register_module("embedding", std::make_shared<nn::Embedding>(s.vocab_in, s.embed));
    if (s.lstm)
      rnn = register_module("rnn", std::make_shared<nn::LSTM>(
                                       nn::LSTMOptions(in, hidden).num_layers(layers).bidirectional(s.bidirectional)));
    else
      rnn = register_module("rnn", std::make_shared<nn::GRU>(
                                       nn::GRUOptions(in, hidden).num_layers(layers).bidirectional(s.bidirectional)));
    fc = register_module("fc", std::make_shared<nn::Linear>(rnn->num_directions() * hidden, s.vocab_out));
  }
  Tensor forward(const IndexArray& tokens) {  // (seq, batch) -> (seq, batch, vocab_out)
    return fc->forward(rnn->forward(embedding->forward(tokens)).output);
  }
  /// cross_entropy(forward(tokens), targets), with the output layer fused into the loss.
  Tensor loss(const IndexArray& tokens, const IndexArray& targets) {
    return tg::linear_cross_entropy(rnn->forward(embedding->forward(tokens)).output, fc->weight, fc->bias, targets);
  }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::RecurrentLayer> rnn;
  std::shared_ptr<nn::Linear> fc;
};

}  // namespace bench::tapegrad
