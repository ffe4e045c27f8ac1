#pragma once
// What the LibTorch programs share (bench/libtorch/workloads.cpp, bench/decoding/libtorch_decoding.cpp):
// parameters from the streams of their names, the thread settings, and W5's model with forward()
// for training and encode() / step() for decoding. The same names as bench/pytorch, so the same values.
#include "harness.hpp"

#include <dlfcn.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace bench::libtorch {

inline void init_parameters(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters()) {
    auto values = bench::init_values(p.key(), p.value().sizes().vec());
    p.value().copy_(torch::from_blob(values.data(), p.value().sizes(), torch::kFloat32));
  }
}

// Debian's LibTorch sends every product to OpenBLAS, whose own pool at::set_num_threads does not
// resize; the runner also sets OPENBLAS_NUM_THREADS, this makes the program right when run by hand.
inline void set_threads(const std::string& config) {
  at::set_num_threads(1);
  using SetThreads = void (*)(int);
  auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set_blas) throw std::runtime_error("openblas_set_num_threads not found: is LibTorch using OpenBLAS?");
  set_blas(config == "1T" ? 1 : 2);
}

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

/// What a decoder keeps per row: the annotations, their projections, the padding, the GRU states.
struct Memory {
  torch::Tensor values, keys, pad;
  std::vector<torch::Tensor> state;
};

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
  /// src (S, B), lengths (B): the encoder stops at each source's end (as tapegrad's with lengths).
  Memory encode(const torch::Tensor& src, const torch::Tensor& lengths) {
    namespace rnn = torch::nn::utils::rnn;
    auto packed = rnn::pack_padded_sequence(encoder_embedding(src), lengths, /*batch_first=*/false,
                                            /*enforce_sorted=*/false);
    auto [enc_out, h_n] = encoder->forward_with_packed_input(packed);
    auto values = std::get<0>(rnn::pad_packed_sequence(enc_out, false, 0.0, src.size(0))).transpose(0, 1);
    auto pad = torch::arange(src.size(0)).unsqueeze(0) >= lengths.unsqueeze(1);
    return {values, attention->W_k(values), pad, h_n.unbind(0)};
  }
  /// tokens (B): the previous tokens -> logits (B, vocab_tgt); advances m.state.
  torch::Tensor step(const torch::Tensor& tokens, Memory& m) {
    auto x = torch::cat({attention(m.state.back(), m.keys, m.values, m.pad), decoder_embedding(tokens)}, -1);
    for (std::size_t i = 0; i < decoder->size(); ++i) {
      m.state[i] = decoder[i]->as<torch::nn::GRUCell>()->forward(x, m.state[i]);
      x = m.state[i];
    }
    return fc(x);
  }
  torch::nn::Embedding encoder_embedding{nullptr}, decoder_embedding{nullptr};
  torch::nn::GRU encoder{nullptr};
  AdditiveAttention attention{nullptr};
  torch::nn::ModuleList decoder{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Seq2Seq);

}  // namespace bench::libtorch
