#include "nn/seq2seq.hpp"

#include "autograd/ops.hpp"
#include "autograd/ops/blas.hpp"
#include "nn/masking.hpp"

namespace tg::nn {

namespace {

std::shared_ptr<RecurrentLayer> make_rnn(RnnType type, std::size_t input_size, std::size_t hidden_size,
                                         std::size_t num_layers, double dropout, bool bidirectional) {
  auto configured = [&](auto options) {
    return options.num_layers(num_layers).dropout(dropout).bidirectional(bidirectional);
  };
  switch (type) {
    case RnnType::Gru: return std::make_shared<GRU>(configured(GRUOptions(input_size, hidden_size)));
    case RnnType::Lstm: return std::make_shared<LSTM>(configured(LSTMOptions(input_size, hidden_size)));
    case RnnType::Rnn: break;
  }
  return std::make_shared<RNN>(configured(RNNOptions(input_size, hidden_size)));
}

const char* rnn_name(RnnType type) { return type == RnnType::Gru ? "GRU" : type == RnnType::Lstm ? "LSTM" : "RNN"; }

/// (D * layers, N, H) -> (layers, N, D * H): each layer's forward and backward states side by side.
Tensor merge_directions(const Tensor& state, std::size_t layers, std::size_t directions) {
  if (directions == 1) return state;
  const auto n = static_cast<long>(state.size(1)), h = static_cast<long>(state.size(2));
  const auto l = static_cast<long>(layers), d = static_cast<long>(directions);
  return reshape(permute(reshape(state, {l, d, n, h}), {0, 2, 1, 3}), {l, n, d * h});
}

/// max over consecutive pairs of the last axis: (..., 2m) -> (..., m).
Tensor maxout_pairs(const Tensor& t) {
  std::vector<long> pairs(t.shape().begin(), t.shape().end() - 1);
  pairs.insert(pairs.end(), {-1, 2});
  return max(reshape(t, pairs), -1);
}

void check_ids(const std::string& module, const IndexArray& ids, std::size_t dims, const char* what) {
  if (ids.dimension() != dims)
    fail<ShapeError>("{}: {} of shape {} must be {}", module, what, shape_str(ids.shape()),
                     dims == 1 ? "(batch)" : "(steps, batch)");
}

}  // namespace

// ---- Seq2SeqEncoder -------------------------------------------------------------------------------

Seq2SeqEncoder::Seq2SeqEncoder(const Seq2SeqEncoderOptions& options_) : Module("Seq2SeqEncoder"), options(options_) {
  if (!options.vocab_size_ || !options.embed_size_ || !options.num_hiddens_ || !options.num_layers_)
    fail<ValueError>("{}: vocab_size, embed_size, num_hiddens and num_layers must be positive", describe());
  embedding = register_module("embedding", std::make_shared<Embedding>(options.vocab_size_, options.embed_size_));
  rnn = register_module("rnn", make_rnn(options.rnn_type_, options.embed_size_, options.num_hiddens_,
                                        options.num_layers_, options.dropout_, options.bidirectional_));
}

EncoderOutput Seq2SeqEncoder::forward(const IndexArray& source, const Lengths& lengths) {
  auto scope = record_scope();
  check_ids(describe(), source, 2, "source");
  checked_lengths(lengths, source.shape(1), source.shape(0),
                  fmt::format("{}: source {}", describe(), shape_str(source.shape())));
  RecurrentOutput out = rnn->forward(embedding->forward(source), {}, lengths);
  return {out.output, {out.h_n, out.c_n}, lengths, rnn->num_layers(), rnn->num_directions()};
}

std::string Seq2SeqEncoder::extra_repr() const {
  std::string out = fmt::format("vocab_size={}, embed_size={}, num_hiddens={}, num_layers={}, rnn_type={}",
                                options.vocab_size_, options.embed_size_, options.num_hiddens_, options.num_layers_,
                                rnn_name(options.rnn_type_));
  if (options.bidirectional_) out += ", bidirectional=true";
  if (options.dropout_ > 0) out += fmt::format(", dropout={}", options.dropout_);
  return out;
}

// ---- DecoderState ----------------------------------------------------------------------------------

DecoderState DecoderState::select_rows(const IndexArray& rows) const {
  auto rows_of = [&](const Tensor& t, long axis) { return t.defined() ? index_select(t, axis, rows) : t; };
  DecoderState out{{rows_of(rnn.h, 1), rows_of(rnn.c, 1)}, rows_of(context, 0), rows_of(memory, 0), rows_of(keys, 0), {}};
  if (!lengths.empty())
    for (Index r : rows) out.lengths.values.push_back(lengths.values.at(static_cast<std::size_t>(r)));
  return out;
}

// ---- RecurrentDecoder ------------------------------------------------------------------------------

RecurrentDecoder::RecurrentDecoder(const char* name, const Seq2SeqDecoderOptions& options_)
    : Module(name), options(options_) {
  const auto& o = options;
  if (!o.vocab_size_ || !o.embed_size_ || !o.num_hiddens_ || !o.context_size_ || !o.num_layers_)
    fail<ValueError>("{}: vocab_size, embed_size, num_hiddens, context_size and num_layers must be positive", describe());
  embedding = register_module("embedding", std::make_shared<Embedding>(o.vocab_size_, o.embed_size_));
  rnn = register_module("rnn", make_rnn(o.rnn_type_, o.embed_size_ + o.context_size_, o.num_hiddens_, o.num_layers_,
                                        o.dropout_, false));
  if (o.bahdanau_init_)
    W_s = register_module("W_s", std::make_shared<Linear>(o.bahdanau_init_, o.num_layers_ * o.num_hiddens_));
  if (o.maxout_)
    deep_output = register_module(
        "deep_output", std::make_shared<Linear>(o.num_hiddens_ + o.embed_size_ + o.context_size_, 2 * o.maxout_));
  dense = register_module("dense", std::make_shared<Linear>(o.maxout_ ? o.maxout_ : o.num_hiddens_, o.vocab_size_));
}

DecoderState RecurrentDecoder::init_state(const EncoderOutput& encoded) {
  auto scope = record_scope();
  const Tensor& h_n = encoded.state.h;
  if (!encoded.output.defined() || !h_n.defined() || encoded.output.dim() != 3 ||
      encoded.output.size(2) != options.context_size_ || h_n.dim() != 3)
    fail<ShapeError>("{}: the encoder's output {} must be (steps, batch, context_size = {})", describe(),
                     encoded.output.defined() ? shape_str(encoded.output.shape()) : "undefined", options.context_size_);
  const std::size_t layers = options.num_layers_, hidden = options.num_hiddens_, d = encoded.num_directions;
  DecoderState state;
  if (W_s) {
    // Bahdanau et al.: s_0 = tanh(W_s <-h_1), the top layer's backward state at the first position.
    const std::size_t h_enc = h_n.size(2);
    if (h_enc != options.bahdanau_init_)
      fail<ShapeError>("{}: bahdanau_init({}) does not fit the encoder's hidden size {} (its final state {})",
                       describe(), options.bahdanau_init_, h_enc, shape_str(h_n.shape()));
    Tensor h1 = d == 2 ? narrow(select(encoded.output, 0, 0), -1, h_enc, h_enc) : select(h_n, 0, h_n.size(0) - 1);
    const auto n = static_cast<long>(h1.size(0));
    state.rnn.h = transpose(reshape(tanh(W_s->forward(h1)), {n, static_cast<long>(layers), static_cast<long>(hidden)}), 0, 1);
    if (options.rnn_type_ == RnnType::Lstm) state.rnn.c = zeros_like(state.rnn.h);
  } else {
    if (encoded.num_layers != layers || d * h_n.size(2) != hidden)
      fail<ShapeError>("{}: cannot start from the encoder's final state {} ({} layers x {} directions): that needs "
                       "num_layers = {} and num_hiddens = {}; or give bahdanau_init",
                       describe(), shape_str(h_n.shape()), encoded.num_layers, d, encoded.num_layers, d * h_n.size(2));
    state.rnn.h = merge_directions(h_n, layers, d);
    if (options.rnn_type_ == RnnType::Lstm && encoded.state.c.defined())
      state.rnn.c = merge_directions(encoded.state.c, layers, d);
  }
  state.lengths = encoded.lengths;
  init_memory(encoded, state);
  return state;
}

void RecurrentDecoder::check_state(const DecoderState& state) const {
  const Tensor& h = state.rnn.h;
  if (!h.defined() || h.dim() != 3 || h.size(0) != options.num_layers_ || h.size(2) != options.num_hiddens_)
    fail<ShapeError>("{}: the state's h is {}, expected (num_layers = {}, batch, num_hiddens = {}); make the state "
                     "with init_state()",
                     describe(), h.defined() ? shape_str(h.shape()) : "undefined", options.num_layers_,
                     options.num_hiddens_);
}

DecoderStep RecurrentDecoder::step(const IndexArray& tokens, const DecoderState& state) {
  auto scope = record_scope();
  check_ids(describe(), tokens, 1, "tokens");
  check_state(state);
  if (tokens.size() != state.batch_size())
    fail<ShapeError>("{}: {} tokens for a state of {} sequences", describe(), tokens.size(), state.batch_size());
  StepFeatures s = step_embedded(embedding->forward(tokens), state);
  return {output_layers(s.features), s.attention, std::move(s.state)};
}

DecoderOutput RecurrentDecoder::forward(const IndexArray& inputs, const DecoderState& state) {
  auto scope = record_scope();
  check_ids(describe(), inputs, 2, "inputs");
  check_state(state);
  if (inputs.shape(1) != state.batch_size())
    fail<ShapeError>("{}: inputs {} for a state of {} sequences", describe(), shape_str(inputs.shape()),
                     state.batch_size());
  const Tensor embedded = embedding->forward(inputs);  // one lookup for all steps
  std::vector<Tensor> features, attention;
  DecoderState current = state;
  // Every step multiplies by the same weights, forward and backward: each is packed once.
  detail::ReusePackedWeights reuse;
  for (std::size_t t = 0; t < inputs.shape(0); ++t) {
    StepFeatures s = step_embedded(select(embedded, 0, t), current);
    features.push_back(s.features);
    if (s.attention.defined()) attention.push_back(s.attention);
    current = std::move(s.state);
  }
  // The output layers read nothing recurrent: one (T * N)-row product each for all steps, instead of
  // T small ones that each pack the weight again.
  return {output_layers(stack(features, 0)), attention.empty() ? Tensor() : stack(attention, 0), std::move(current)};
}

RecurrentDecoder::StepFeatures RecurrentDecoder::step_embedded(const Tensor& embedded, const DecoderState& state) {
  AttentionOutput c = context(state);
  RecurrentOutput out = rnn->forward(unsqueeze(concat({embedded, c.context}, -1), 0), state.rnn);
  Tensor s = select(out.output, 0, 0);
  DecoderState next = state;
  next.rnn = {out.h_n, out.c_n};
  return {deep_output ? concat({s, embedded, c.context}, -1) : s, c.weights, std::move(next)};
}

Tensor RecurrentDecoder::output_layers(const Tensor& features) {
  return dense->forward(deep_output ? maxout_pairs(deep_output->forward(features)) : features);
}

std::string RecurrentDecoder::extra_repr() const {
  const auto& o = options;
  std::string out = fmt::format("vocab_size={}, embed_size={}, num_hiddens={}, context_size={}, num_layers={}, rnn_type={}",
                                o.vocab_size_, o.embed_size_, o.num_hiddens_, o.context_size_, o.num_layers_,
                                rnn_name(o.rnn_type_));
  if (o.dropout_ > 0) out += fmt::format(", dropout={}", o.dropout_);
  if (o.bahdanau_init_) out += fmt::format(", bahdanau_init={}", o.bahdanau_init_);
  if (o.maxout_) out += fmt::format(", maxout={}", o.maxout_);
  return out;
}

// ---- the two decoders ------------------------------------------------------------------------------

Seq2SeqDecoder::Seq2SeqDecoder(const Seq2SeqDecoderOptions& options) : RecurrentDecoder("Seq2SeqDecoder", options) {}

AttentionOutput Seq2SeqDecoder::context(const DecoderState& state) { return {state.context, Tensor()}; }

void Seq2SeqDecoder::init_memory(const EncoderOutput& encoded, DecoderState& state) {
  state.context = select(merge_directions(encoded.state.h, encoded.num_layers, encoded.num_directions), 0,
                         encoded.num_layers - 1);
}

Seq2SeqAttentionDecoder::Seq2SeqAttentionDecoder(const Seq2SeqDecoderOptions& options)
    : RecurrentDecoder("Seq2SeqAttentionDecoder", options) {
  const std::size_t hiddens = options.attention_hiddens_ ? options.attention_hiddens_ : options.num_hiddens_;
  attention = register_module("attention", std::make_shared<AdditiveAttention>(AdditiveAttentionOptions(
                                               options.context_size_, options.num_hiddens_, hiddens)));
}

// c_i = attention(s_{i-1} of the top layer, annotations)
AttentionOutput Seq2SeqAttentionDecoder::context(const DecoderState& state) {
  Tensor query = unsqueeze(select(state.rnn.h, 0, state.rnn.h.size(0) - 1), 1);  // (N, 1, H)
  AttentionOutput out = attention->attend(query, state.keys, state.memory, state.lengths);
  return {squeeze(out.context, 1), squeeze(out.weights, 1)};
}

void Seq2SeqAttentionDecoder::init_memory(const EncoderOutput& encoded, DecoderState& state) {
  state.memory = transpose(encoded.output, 0, 1);
  state.keys = attention->project_keys(state.memory);  // once per source batch
}

// ---- EncoderDecoder --------------------------------------------------------------------------------

EncoderDecoder::EncoderDecoder(std::shared_ptr<Seq2SeqEncoder> encoder_, std::shared_ptr<RecurrentDecoder> decoder_)
    : Module("EncoderDecoder") {
  if (!encoder_ || !decoder_) fail<ValueError>("EncoderDecoder: the encoder and the decoder must not be null");
  if (encoder_->output_size() != decoder_->options.context_size_)
    fail<ShapeError>("EncoderDecoder: the encoder's annotations have size {}, the decoder's context_size is {}",
                     encoder_->output_size(), decoder_->options.context_size_);
  encoder = register_module("encoder", std::move(encoder_));
  decoder = register_module("decoder", std::move(decoder_));
}

DecoderOutput EncoderDecoder::forward(const IndexArray& source, const Lengths& source_lengths,
                                      const IndexArray& inputs) {
  return decoder->forward(inputs, decoder->init_state(encoder->forward(source, source_lengths)));
}

}  // namespace tg::nn
