// W1-W6 (docs: bench/WORKLOADS.md) in LibTorch's C++ frontend, as a LibTorch user
// writes them; the same models, data and initial parameters as bench/pytorch/workloads.py.
//
//     libtorch_workloads --workload W1 --steps 20 --warmup 5 --threads-config best2
//
// "1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads.
#include "harness.hpp"

#include <dlfcn.h>
#include <torch/torch.h>

namespace F = torch::nn::functional;

namespace {

torch::Tensor int_tensor(const std::vector<std::int64_t>& values, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<std::int64_t*>(values.data()), shape, torch::kInt64).clone();
}

void init_parameters(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters()) {
    auto values = bench::init_values(p.key(), p.value().sizes().vec());
    p.value().copy_(torch::from_blob(values.data(), p.value().sizes(), torch::kFloat32));
  }
}

// Debian's LibTorch sends every product to OpenBLAS, whose own pool at::set_num_threads does not
// resize; the runner also sets OPENBLAS_NUM_THREADS, this makes the program right when run by hand.
void set_threads(const std::string& config) {
  at::set_num_threads(1);
  using SetThreads = void (*)(int);
  auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set_blas) throw std::runtime_error("openblas_set_num_threads not found: is LibTorch using OpenBLAS?");
  set_blas(config == "1T" ? 1 : 2);
}

/// W1-W4: Embedding -> LSTM/GRU -> Linear at every position.
struct TaggerImpl : torch::nn::Module {
  explicit TaggerImpl(const bench::TaggerSpec& s) : lstm_(s.lstm) {
    embedding = register_module("embedding", torch::nn::Embedding(s.vocab_in, s.embed));
    if (s.lstm)
      lstm = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(s.embed, s.hidden)
                                                        .num_layers(s.layers).bidirectional(s.bidirectional)));
    else
      gru = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(s.embed, s.hidden)
                                                      .num_layers(s.layers).bidirectional(s.bidirectional)));
    fc = register_module("fc", torch::nn::Linear(s.hidden * (s.bidirectional ? 2 : 1), s.vocab_out));
  }
  torch::Tensor forward(const torch::Tensor& tokens) {  // (seq, batch) -> (seq, batch, vocab_out)
    auto x = embedding(tokens);
    auto output = lstm_ ? std::get<0>(lstm(x)) : std::get<0>(gru(x));
    return fc(output);
  }
  bool lstm_;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Tagger);

/// score(q, k) = w_v^T tanh(W_q q + W_k k); the caller projects the keys once per batch.
struct AdditiveAttentionImpl : torch::nn::Module {
  explicit AdditiveAttentionImpl(std::int64_t hidden)
      : W_q(register_module("W_q", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
        W_k(register_module("W_k", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)))),
        w_v(register_module("w_v", torch::nn::Linear(torch::nn::LinearOptions(hidden, 1).bias(false)))) {}
  // query (B, H), keys and values (B, S, H), pad (B, S) true where padded -> context (B, H)
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                        const torch::Tensor& pad) {
    auto features = torch::tanh(W_q(query).unsqueeze(1) + keys);
    auto scores = w_v(features).squeeze(-1).masked_fill(pad, -1e6);
    auto weights = torch::softmax(scores, -1);
    return torch::bmm(weights.unsqueeze(1), values).squeeze(1);
  }
  torch::nn::Linear W_q, W_k, w_v;
};
TORCH_MODULE(AdditiveAttention);

/// W5: GRU encoder; decoder of GRU cells stepped one token at a time with additive attention.
struct Seq2SeqImpl : torch::nn::Module {
  explicit Seq2SeqImpl(const bench::Seq2SeqSpec& s) {
    encoder_embedding = register_module("encoder_embedding", torch::nn::Embedding(s.vocab_src, s.embed));
    encoder = register_module("encoder", torch::nn::GRU(torch::nn::GRUOptions(s.embed, s.hidden).num_layers(s.layers)));
    decoder_embedding = register_module("decoder_embedding", torch::nn::Embedding(s.vocab_tgt, s.embed));
    attention = register_module("attention", AdditiveAttention(s.hidden));
    decoder = register_module("decoder", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < s.layers; ++i)
      decoder->push_back(torch::nn::GRUCell(i == 0 ? s.hidden + s.embed : s.hidden, s.hidden));
    fc = register_module("fc", torch::nn::Linear(s.hidden, s.vocab_tgt));
  }
  // src (S, B), src_pad (B, S), dec_in (T, B) -> logits (T, B, vocab_tgt)
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& src_pad, const torch::Tensor& dec_in) {
    auto [enc_out, h_n] = encoder(encoder_embedding(src));
    auto values = enc_out.transpose(0, 1);
    auto keys = attention->W_k(values);
    auto state = h_n.unbind(0);
    auto embedded = decoder_embedding(dec_in);
    std::vector<torch::Tensor> outputs;
    for (std::int64_t t = 0; t < dec_in.size(0); ++t) {
      auto x = torch::cat({attention(state.back(), keys, values, src_pad), embedded[t]}, -1);
      for (std::size_t i = 0; i < decoder->size(); ++i) {
        state[i] = decoder[i]->as<torch::nn::GRUCell>()->forward(x, state[i]);
        x = state[i];
      }
      outputs.push_back(x);
    }
    return fc(torch::stack(outputs));
  }
  torch::nn::Embedding encoder_embedding{nullptr}, decoder_embedding{nullptr};
  torch::nn::GRU encoder{nullptr};
  AdditiveAttention attention{nullptr};
  torch::nn::ModuleList decoder{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Seq2Seq);

/// Forward, loss, backward, clipping to 1.0 and one Adam step; returns the loss.
template <class Loss>
auto training_step(std::shared_ptr<torch::nn::Module> model, Loss loss_fn) {
  init_parameters(*model);
  auto params = model->parameters();
  auto optimizer = std::make_shared<torch::optim::Adam>(params, torch::optim::AdamOptions(1e-3));
  return [model, params, optimizer, loss_fn]() mutable {
    optimizer->zero_grad();
    torch::Tensor loss = loss_fn();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    optimizer->step();
    return loss.item<double>();
  };
}

std::function<double()> tagger_step(const std::string& workload) {
  const auto s = bench::tagger_spec(workload);
  Tagger model(s);
  auto inputs = int_tensor(bench::random_ints(workload + ".inputs", s.seq * s.batch, s.vocab_in), {s.seq, s.batch});
  auto targets = int_tensor(bench::random_ints(workload + ".targets", s.seq * s.batch, s.vocab_out), {s.seq * s.batch});
  return training_step(model.ptr(), [=]() mutable {
    return F::cross_entropy(model(inputs).reshape({-1, s.vocab_out}), targets);
  });
}

torch::Tensor valid_mask(const std::string& name, std::int64_t length, const bench::Seq2SeqSpec& s) {
  auto lengths = int_tensor(bench::valid_lengths(name, s), {s.batch});
  return torch::arange(length).unsqueeze(0) < lengths.unsqueeze(1);  // (B, length)
}

std::function<double()> seq2seq_step() {
  const auto& s = bench::kW5;
  Seq2Seq model(s);
  auto src = int_tensor(bench::random_ints("W5.source", s.src_len * s.batch, s.vocab_src), {s.src_len, s.batch});
  auto tgt = int_tensor(bench::random_ints("W5.target", s.tgt_len * s.batch, s.vocab_tgt), {s.tgt_len, s.batch});
  auto dec_in = torch::cat({torch::full({1, s.batch}, s.bos, torch::kInt64), tgt.slice(0, 0, s.tgt_len - 1)});
  auto src_pad = ~valid_mask("W5.source_lengths", s.src_len, s);
  auto tgt_mask = valid_mask("W5.target_lengths", s.tgt_len, s).t().reshape({-1}).to(torch::kFloat32);
  auto targets = tgt.reshape({-1});
  return training_step(model.ptr(), [=]() mutable {
    auto logits = model(src, src_pad, dec_in).reshape({-1, s.vocab_tgt});
    auto losses = F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    return (losses * tgt_mask).sum() / tgt_mask.sum();
  });
}

std::function<double()> chain_step() {
  const auto& s = bench::kW6;
  auto input = bench::chain_input(s.width);
  auto x = torch::from_blob(input.data(), {1, s.width}, torch::kFloat32).clone().requires_grad_();
  auto c = torch::full({1, s.width}, bench::kChainAddend);
  return [=]() mutable {
    auto y = x;
    for (std::int64_t i = 0; i < s.ops; ++i) y = i % 2 == 0 ? y + c : torch::tanh(y);
    auto loss = y.sum();
    loss.backward();
    x.mutable_grad() = torch::Tensor();
    return loss.item<double>();
  };
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, {"1T", "best2"});
  set_threads(args.threads);
  std::function<double()> step;
  if (args.workload == "W5") step = seq2seq_step();
  else if (args.workload == "W6") step = chain_step();
  else step = tagger_step(args.workload);
  bench::run_and_report("libtorch", args, step);
}
