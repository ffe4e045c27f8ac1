// W1-W7 (docs: bench/WORKLOADS.md) written with tapegrad's public API as a user writes
// them; the same models, data and initial parameters as bench/pytorch/workloads.py and
// bench/libtorch/workloads.cpp.
//
//     tapegrad_workloads --workload W1 --steps 20 --warmup 5 --threads-config 2T
//
// "1T" = tg::set_num_threads(1), "2T" = tg::set_num_threads(2) (TBB and BLAS share the cores).
#include "harness.hpp"
#include "seq2seq_w5.hpp"
#include "tagger.hpp"

#include "autograd/ops.hpp"
#include "autograd/threads.hpp"
#include "nn/elmo_bilm.hpp"
#include "nn/masking.hpp"
#include "nn/seq2seq.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

namespace {

using bench::tapegrad::index_array;
using bench::tapegrad::init_parameters;
using bench::tapegrad::Tagger;
using tg::IndexArray;
using tg::Tensor;
namespace nn = tg::nn;

/// Forward, loss, backward, clipping to 1.0 and one Adam step; returns the loss.
template <class Loss>
std::function<double()> training_step(std::shared_ptr<nn::Module> model, Loss loss_fn) {
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
  init_parameters(*model);
  return training_step(model, [model, inputs, targets]() { return model->loss(inputs, targets); });
}

nn::Lengths w5_lengths(const std::string& name, const bench::Seq2SeqSpec& s) {
  const auto lengths = bench::valid_lengths(name, s);
  return std::vector<std::size_t>(lengths.begin(), lengths.end());
}

/// W5: GRU encoder; GRU decoder stepped one token at a time with additive attention, starting from
/// the encoder's final state.
std::function<double()> seq2seq_step() {
  const auto& s = bench::kW5;
  auto model = bench::tapegrad::make_w5_model(s);

  const auto batch = static_cast<std::size_t>(s.batch), tgt_len = static_cast<std::size_t>(s.tgt_len);
  auto src = index_array(bench::random_ints("W5.source", static_cast<std::size_t>(s.src_len) * batch, s.vocab_src),
                         {static_cast<std::size_t>(s.src_len), batch});
  auto tgt = index_array(bench::random_ints("W5.target", tgt_len * batch, s.vocab_tgt), {tgt_len, batch});
  IndexArray dec_in = xt::concatenate(xt::xtuple(xt::full_like(xt::view(tgt, xt::range(0, 1)), s.bos),
                                                 xt::view(tgt, xt::range(0, tgt_len - 1))));
  const nn::Lengths src_lengths = w5_lengths("W5.source_lengths", s);
  const nn::Lengths tgt_lengths = w5_lengths("W5.target_lengths", s);
  return training_step(model, [model, src, src_lengths, dec_in, tgt, tgt_lengths]() {
    // As the peers, the encoder reads the whole padded source and only the attention skips the
    // padding, so the lengths go to the decoder (model->forward(src, src_lengths, dec_in) would
    // also stop the encoder at each source's end).
    nn::EncoderOutput encoded = model->encoder->forward(src);
    encoded.lengths = src_lengths;
    nn::DecoderOutput out = model->decoder->forward(dec_in, model->decoder->init_state(encoded));
    return nn::masked_cross_entropy(out.logits, tgt, tgt_lengths);
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
  init_parameters(*model);
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
