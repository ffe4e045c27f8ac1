// W1-W7 (docs: bench/WORKLOADS.md) in LibTorch's C++ frontend, as a LibTorch user
// writes them; the same models, data and initial parameters as bench/pytorch/workloads.py.
//
//     libtorch_workloads --workload W1 --steps 20 --warmup 5 --threads-config best2
//
// "1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads.
#include "common.hpp"

namespace F = torch::nn::functional;

namespace {

using bench::libtorch::init_parameters;
using bench::libtorch::Seq2Seq;
using bench::libtorch::set_threads;

torch::Tensor int_tensor(const std::vector<std::int64_t>& values, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<std::int64_t*>(values.data()), shape, torch::kInt64).clone();
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

// W7: ELMo's biLM as AllenNLP writes it (allennlp/modules/elmo.py, elmo_lstm.py, highway.py,
// lstm_cell_with_projection.py), with its module names, so that the parameters are named as tapegrad's
// nn::ElmoBiLm's; every sentence is full length, so the stacks need no sorting by length.

/// y = g * x + (1 - g) * relu(p[:size]), g = sigmoid(p[size:]), p = x W^T + b; as allennlp.modules.Highway.
struct HighwayImpl : torch::nn::Module {
  HighwayImpl(std::int64_t size, std::int64_t num_layers) {
    layers = register_module("_layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < num_layers; ++i) layers->push_back(torch::nn::Linear(size, 2 * size));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (const auto& layer : *layers) {
      auto parts = layer->as<torch::nn::Linear>()->forward(x).chunk(2, -1);
      auto gate = torch::sigmoid(parts[1]);
      x = gate * x + (1 - gate) * torch::relu(parts[0]);
    }
    return x;
  }
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Highway);

/// Character ids (N, T, max_chars) -> token vectors (N, T, projection): embedding, one Conv1d per filter
/// width max-pooled over the characters and relu'd, highway, projection (AllenNLP's _ElmoCharacterEncoder).
struct CharacterEncoderImpl : torch::nn::Module {
  explicit CharacterEncoderImpl(const bench::BiLmSpec& s) {
    char_embedding = register_parameter("_char_embedding_weights", torch::zeros({s.n_characters, s.char_embed}));
    std::int64_t filters = 0;
    for (std::size_t i = 0; i < s.filters.size(); ++i) {
      const auto [width, count] = s.filters[i];
      convolutions.push_back(register_module("char_conv_" + std::to_string(i),
                                             torch::nn::Conv1d(torch::nn::Conv1dOptions(s.char_embed, count, width))));
      filters += count;
    }
    highways = register_module("_highways", Highway(filters, s.n_highway));
    projection = register_module("_projection", torch::nn::Linear(filters, s.projection));
  }
  torch::Tensor forward(const torch::Tensor& char_ids) {
    const auto n = char_ids.size(0), steps = char_ids.size(1), chars = char_ids.size(2);
    // Id 0 is an absent token's (padding_idx: its row gets no gradient).
    auto embedded = F::embedding(char_ids.reshape({-1, chars}), char_embedding, F::EmbeddingFuncOptions().padding_idx(0))
                        .transpose(1, 2);
    std::vector<torch::Tensor> convs;
    for (auto& conv : convolutions) convs.push_back(torch::relu(std::get<0>(torch::max(conv(embedded), -1))));
    return projection(highways(torch::cat(convs, -1))).view({n, steps, -1});
  }
  torch::Tensor char_embedding;
  std::vector<torch::nn::Conv1d> convolutions;
  Highway highways{nullptr};
  torch::nn::Linear projection{nullptr};
};
TORCH_MODULE(CharacterEncoder);

/// One direction of one layer: an LSTM whose cell is clipped and whose output is projected and clipped.
struct LstmCellWithProjectionImpl : torch::nn::Module {
  LstmCellWithProjectionImpl(std::int64_t input_size, std::int64_t hidden_size, std::int64_t cell_size, bool go_forward,
                             double cell_clip, double proj_clip)
      : hidden_size(hidden_size), cell_size(cell_size), go_forward(go_forward), cell_clip(cell_clip),
        proj_clip(proj_clip) {
    input_linearity = register_module(
        "input_linearity", torch::nn::Linear(torch::nn::LinearOptions(input_size, 4 * cell_size).bias(false)));
    state_linearity = register_module("state_linearity", torch::nn::Linear(hidden_size, 4 * cell_size));
    state_projection = register_module(
        "state_projection", torch::nn::Linear(torch::nn::LinearOptions(cell_size, hidden_size).bias(false)));
  }
  torch::Tensor forward(const torch::Tensor& x) {  // (L, N, input_size), every sequence L long -> (L, N, hidden_size)
    const auto steps = x.size(0), batch = x.size(1);
    auto projected_input = input_linearity(x);  // every step's input product at once
    auto memory = x.new_zeros({batch, cell_size});
    auto state = x.new_zeros({batch, hidden_size});
    std::vector<torch::Tensor> outputs(static_cast<std::size_t>(steps));
    for (std::int64_t i = 0; i < steps; ++i) {
      const auto t = go_forward ? i : steps - 1 - i;
      auto gates = (projected_input[t] + state_linearity(state)).chunk(4, -1);
      memory = torch::sigmoid(gates[0]) * torch::tanh(gates[2]) + torch::sigmoid(gates[1]) * memory;
      if (cell_clip != 0) memory = torch::clamp(memory, -cell_clip, cell_clip);
      state = state_projection(torch::sigmoid(gates[3]) * torch::tanh(memory));
      if (proj_clip != 0) state = torch::clamp(state, -proj_clip, proj_clip);
      outputs[static_cast<std::size_t>(t)] = state;
    }
    return torch::stack(outputs);
  }
  std::int64_t hidden_size, cell_size;
  bool go_forward;
  double cell_clip, proj_clip;
  torch::nn::Linear input_linearity{nullptr}, state_linearity{nullptr}, state_projection{nullptr};
};
TORCH_MODULE(LstmCellWithProjection);

/// Forward and backward stacks that never mix, residual from the second layer on; (L, N, P) -> per layer (L, N, 2P).
struct ElmoLstmImpl : torch::nn::Module {
  explicit ElmoLstmImpl(const bench::BiLmSpec& s) {
    for (std::int64_t k = 0; k < s.layers; ++k)
      for (bool go_forward : {true, false}) {
        auto layer = register_module(
            (go_forward ? "forward_layer_" : "backward_layer_") + std::to_string(k),
            LstmCellWithProjection(s.projection, s.projection, s.cell, go_forward, s.cell_clip, s.proj_clip));
        (go_forward ? forward_layers : backward_layers).push_back(layer);
      }
  }
  std::vector<torch::Tensor> forward(const torch::Tensor& x) {
    auto forward_sequence = x, backward_sequence = x;
    std::vector<torch::Tensor> outputs;
    for (std::size_t k = 0; k < forward_layers.size(); ++k) {
      auto forward_cache = forward_sequence, backward_cache = backward_sequence;
      forward_sequence = forward_layers[k](forward_sequence);
      backward_sequence = backward_layers[k](backward_sequence);
      if (k != 0) {
        forward_sequence = forward_sequence + forward_cache;
        backward_sequence = backward_sequence + backward_cache;
      }
      outputs.push_back(torch::cat({forward_sequence, backward_sequence}, -1));
    }
    return outputs;
  }
  std::vector<LstmCellWithProjection> forward_layers, backward_layers;
};
TORCH_MODULE(ElmoLstm);

/// W7: token encoder -> ElmoLstm -> a softmax shared by both directions; loss 0.5 * (CE_forward + CE_backward).
struct BiLmImpl : torch::nn::Module {
  explicit BiLmImpl(const bench::BiLmSpec& s) : p(s.projection), vocab(s.vocab) {
    token_embedder = register_module("_token_embedder", CharacterEncoder(s));
    elmo_lstm = register_module("_elmo_lstm", ElmoLstm(s));
    softmax = register_module("softmax", torch::nn::Linear(s.projection, s.vocab));
  }
  // (N, T, max_chars), (N, T) -> loss
  torch::Tensor forward(const torch::Tensor& char_ids, const torch::Tensor& targets) {
    auto top = elmo_lstm(token_embedder(char_ids).transpose(0, 1)).back();  // (T, N, 2P), time-major
    auto words = targets.t();
    const auto steps = top.size(0);
    // The forward stack at t predicts word t + 1, the backward one at t word t - 1.
    auto forward = F::cross_entropy(softmax(top.slice(0, 0, steps - 1).slice(2, 0, p)).reshape({-1, vocab}),
                                    words.slice(0, 1, steps).reshape({-1}));
    auto backward = F::cross_entropy(softmax(top.slice(0, 1, steps).slice(2, p, 2 * p)).reshape({-1, vocab}),
                                     words.slice(0, 0, steps - 1).reshape({-1}));
    return 0.5 * (forward + backward);
  }
  std::int64_t p, vocab;
  CharacterEncoder token_embedder{nullptr};
  ElmoLstm elmo_lstm{nullptr};
  torch::nn::Linear softmax{nullptr};
};
TORCH_MODULE(BiLm);

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

std::function<double()> bilm_step() {
  const auto& s = bench::kW7;
  BiLm model(s);
  // Every token present (no id 0): all sentences are seq long.
  auto char_ids = int_tensor(bench::random_ints("W7.characters", s.batch * s.seq * s.max_chars, s.n_characters - 1),
                             {s.batch, s.seq, s.max_chars}) + 1;
  auto targets = int_tensor(bench::random_ints("W7.targets", s.batch * s.seq, s.vocab), {s.batch, s.seq});
  return training_step(model.ptr(), [=]() mutable { return model(char_ids, targets); });
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, {"1T", "best2"});
  set_threads(args.threads);
  std::function<double()> step;
  if (args.workload == "W5") step = seq2seq_step();
  else if (args.workload == "W6") step = chain_step();
  else if (args.workload == "W7") step = bilm_step();
  else step = tagger_step(args.workload);
  bench::run_and_report("libtorch", args, step);
}
