// W1-W7 (docs: bench/WORKLOADS.md) written with tapegrad's public API as a user writes
// them; the same models, data and initial parameters as bench/pytorch/workloads.py and
// bench/libtorch/workloads.cpp.
//
//     tapegrad_workloads --workload W1 --steps 20 --warmup 5 --threads-config 2T
//
// "1T" = tg::set_num_threads(1), "2T" = tg::set_num_threads(2) (TBB and BLAS share the cores).
#include "harness.hpp"
#include "tagger.hpp"

#include "autograd/ops.hpp"
#include "autograd/threads.hpp"
#include "nn/elmo_bilm.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"
#include "nn/module_list.hpp"
#include "nn/rnn.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"

#include <functional>
#include <memory>

namespace {

using bench::tapegrad::index_array;
using bench::tapegrad::init_parameters;
using bench::tapegrad::Tagger;
using tg::IndexArray;
using tg::Mask;
using tg::Tensor;
namespace nn = tg::nn;

/// score(q, k) = w_v^T tanh(W_q q + W_k k); the caller projects the keys once per batch.
struct AdditiveAttention : nn::Module {
  explicit AdditiveAttention(std::size_t hidden) : Module("AdditiveAttention") {
    W_q = register_module("W_q", std::make_shared<nn::Linear>(hidden, hidden, false));
    W_k = register_module("W_k", std::make_shared<nn::Linear>(hidden, hidden, false));
    w_v = register_module("w_v", std::make_shared<nn::Linear>(hidden, 1, false));
  }
  // query (B, H), keys and values (B, S, H), pad (B, S) true where padded -> context (B, H)
  Tensor forward(const Tensor& query, const Tensor& keys, const Tensor& values, const Mask& pad) {
    auto features = tg::tanh(tg::unsqueeze(W_q->forward(query), 1) + keys);
    auto scores = tg::masked_fill(tg::squeeze(w_v->forward(features), -1), pad, -1e6);
    auto weights = tg::softmax(scores, -1);
    return tg::squeeze(tg::matmul(tg::unsqueeze(weights, 1), values), 1);
  }
  std::shared_ptr<nn::Linear> W_q, W_k, w_v;
};

/// W5: GRU encoder; decoder of GRU cells stepped one token at a time with additive attention.
struct Seq2Seq : nn::Module {
  explicit Seq2Seq(const bench::Seq2SeqSpec& s) : Module("Seq2Seq") {
    const auto embed = static_cast<std::size_t>(s.embed), hidden = static_cast<std::size_t>(s.hidden);
    encoder_embedding = register_module("encoder_embedding", std::make_shared<nn::Embedding>(s.vocab_src, embed));
    encoder = register_module("encoder", std::make_shared<nn::GRU>(
                                             nn::GRUOptions(embed, hidden).num_layers(static_cast<std::size_t>(s.layers))));
    decoder_embedding = register_module("decoder_embedding", std::make_shared<nn::Embedding>(s.vocab_tgt, embed));
    attention = register_module("attention", std::make_shared<AdditiveAttention>(hidden));
    decoder = register_module("decoder", std::make_shared<nn::ModuleList>());
    for (std::int64_t i = 0; i < s.layers; ++i)
      decoder->push_back(std::make_shared<nn::GRUCell>(nn::GRUCellOptions(i == 0 ? hidden + embed : hidden, hidden)));
    fc = register_module("fc", std::make_shared<nn::Linear>(hidden, s.vocab_tgt));
  }
  // src (S, B), src_pad (B, S), dec_in (T, B) -> logits (T, B, vocab_tgt)
  Tensor forward(const IndexArray& src, const Mask& src_pad, const IndexArray& dec_in) {
    auto encoded = encoder->forward(encoder_embedding->forward(src));
    auto values = tg::transpose(encoded.output, 0, 1);
    auto keys = attention->W_k->forward(values);
    std::vector<Tensor> state;
    for (std::size_t i = 0; i < decoder->size(); ++i) state.push_back(tg::select(encoded.h_n, 0, i));
    auto embedded = decoder_embedding->forward(dec_in);
    std::vector<Tensor> outputs;
    for (std::size_t t = 0; t < dec_in.shape(0); ++t) {
      auto x = tg::concat({attention->forward(state.back(), keys, values, src_pad), tg::select(embedded, 0, t)}, -1);
      for (std::size_t i = 0; i < decoder->size(); ++i) {
        state[i] = decoder->at<nn::GRUCell>(i)->forward(x, state[i]);
        x = state[i];
      }
      outputs.push_back(x);
    }
    return fc->forward(tg::stack(outputs, 0));
  }
  std::shared_ptr<nn::Embedding> encoder_embedding, decoder_embedding;
  std::shared_ptr<nn::GRU> encoder;
  std::shared_ptr<AdditiveAttention> attention;
  std::shared_ptr<nn::ModuleList> decoder;
  std::shared_ptr<nn::Linear> fc;
};

/// Forward, loss, backward, clipping to 1.0 and one Adam step; returns the loss.
template <class Loss>
std::function<double()> training_step(std::shared_ptr<nn::Module> model, Loss loss_fn) {
  init_parameters(*model);
  auto params = model->named_parameters();
  auto adam = std::make_shared<tg::optim::Adam>(params, tg::optim::AdamOptions(1e-3));
  return [model, params, adam, loss_fn]() mutable {
    adam->zero_grad();
    Tensor loss = loss_fn();
    loss.backward();
    tg::optim::clip_grad_norm(params, 1.0);
    adam->step();
    return loss.item();
  };
}

std::function<double()> tagger_step(const std::string& workload) {
  const auto s = bench::tagger_spec(workload);
  const std::vector<std::size_t> shape{static_cast<std::size_t>(s.seq), static_cast<std::size_t>(s.batch)};
  const auto n = static_cast<std::size_t>(s.seq * s.batch);
  auto model = std::make_shared<Tagger>(s);
  auto inputs = index_array(bench::random_ints(workload + ".inputs", n, s.vocab_in), shape);
  auto targets = index_array(bench::random_ints(workload + ".targets", n, s.vocab_out), shape);
  return training_step(model, [model, inputs, targets]() { return tg::cross_entropy(model->forward(inputs), targets); });
}

Mask valid_mask(const std::string& name, std::int64_t length, const bench::Seq2SeqSpec& s) {
  const auto lengths = bench::valid_lengths(name, s);
  auto mask = Mask::from_shape({static_cast<std::size_t>(s.batch), static_cast<std::size_t>(length)});
  for (std::size_t b = 0; b < mask.shape(0); ++b)
    for (std::size_t t = 0; t < mask.shape(1); ++t) mask(b, t) = static_cast<std::int64_t>(t) < lengths[b];
  return mask;  // (B, length)
}

std::function<double()> seq2seq_step() {
  const auto& s = bench::kW5;
  const auto batch = static_cast<std::size_t>(s.batch), tgt_len = static_cast<std::size_t>(s.tgt_len);
  auto model = std::make_shared<Seq2Seq>(s);
  auto src = index_array(bench::random_ints("W5.source", static_cast<std::size_t>(s.src_len) * batch, s.vocab_src),
                         {static_cast<std::size_t>(s.src_len), batch});
  auto tgt = index_array(bench::random_ints("W5.target", tgt_len * batch, s.vocab_tgt), {tgt_len, batch});
  IndexArray dec_in = xt::concatenate(xt::xtuple(xt::full_like(xt::view(tgt, xt::range(0, 1)), s.bos),
                                                 xt::view(tgt, xt::range(0, tgt_len - 1))));
  Mask src_pad = !valid_mask("W5.source_lengths", s.src_len, s);
  Mask tgt_mask = xt::transpose(valid_mask("W5.target_lengths", s.tgt_len, s));  // (T, B)
  return training_step(model, [model, src, src_pad, dec_in, tgt, tgt_mask]() {
    return tg::cross_entropy(model->forward(src, src_pad, dec_in), tgt, tg::CrossEntropyOptions().with_mask(tgt_mask));
  });
}

std::function<double()> chain_step() {
  const auto& s = bench::kW6;
  const auto width = static_cast<std::size_t>(s.width);
  const auto input = bench::chain_input(s.width);
  Tensor x = tg::from_array(xt::xarray<float>(xt::adapt(input, std::vector<std::size_t>{1, width})), true);
  Tensor c = tg::full({1, width}, bench::kChainAddend);
  return [x, c, ops = s.ops]() {
    Tensor y = x;
    for (std::int64_t i = 0; i < ops; ++i) y = i % 2 == 0 ? y + c : tg::tanh(y);
    Tensor loss = tg::sum(y);
    loss.backward();
    x.zero_grad();
    return loss.item();
  };
}

/// W7: ELMo's biLM in AllenNLP's small published configuration (2x1024_128_2048cnn_1xhighway), trained
/// with a word softmax shared by both directions: loss 0.5 * (CE_forward + CE_backward).
std::function<double()> bilm_step() {
  const auto& s = bench::kW7;
  const auto batch = static_cast<std::size_t>(s.batch), seq = static_cast<std::size_t>(s.seq);
  const auto chars = static_cast<std::size_t>(s.max_chars);
  std::vector<std::pair<std::size_t, std::size_t>> filters;
  for (const auto& f : s.filters) filters.emplace_back(static_cast<std::size_t>(f[0]), static_cast<std::size_t>(f[1]));
  nn::ElmoOptions options;
  options.char_cnn.embedding_dim(static_cast<std::size_t>(s.char_embed))
      .filters(filters)
      .n_highway(static_cast<std::size_t>(s.n_highway))
      .projection_dim(static_cast<std::size_t>(s.projection))
      .activation(nn::ElmoActivation::Relu)
      .n_characters(static_cast<std::size_t>(s.n_characters))
      .max_characters_per_token(chars);
  options.lstm.dim(static_cast<std::size_t>(s.cell))
      .projection_dim(static_cast<std::size_t>(s.projection))
      .n_layers(static_cast<std::size_t>(s.layers))
      .cell_clip(s.cell_clip)
      .proj_clip(s.proj_clip)
      .use_skip_connections(true);
  options.vocab_size(static_cast<std::size_t>(s.vocab));
  auto model = std::make_shared<nn::ElmoBiLm>(options);
  // Every token present (no id 0, the id of an absent token): all sentences are seq long.
  auto ids = bench::random_ints("W7.characters", batch * seq * chars, s.n_characters - 1);
  for (auto& id : ids) ++id;
  auto char_ids = index_array(ids, {batch, seq, chars});
  auto targets = index_array(bench::random_ints("W7.targets", batch * seq, s.vocab), {batch, seq});
  return training_step(model, [model, char_ids, targets]() { return model->loss(char_ids, targets); });
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, {"1T", "2T"});
  tg::set_num_threads(args.threads == "1T" ? 1 : 2);
  std::function<double()> step;
  if (args.workload == "W5") step = seq2seq_step();
  else if (args.workload == "W6") step = chain_step();
  else if (args.workload == "W7") step = bilm_step();
  else step = tagger_step(args.workload);
  bench::run_and_report("tapegrad", args, step);
}
