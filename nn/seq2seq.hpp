#pragma once
// Encoder-decoder models for sequence to sequence learning, as d2l's Seq2SeqEncoder, Seq2SeqDecoder
// and Seq2SeqAttentionDecoder, with Bahdanau et al. (2015)'s initial state and maxout deep output
// as options. Time-major ids as the recurrent layers: source (S, N), decoder inputs (T, N).
//
// A decoder is steppable: step() advances every sequence of the batch by one token from an explicit
// DecoderState, and the teacher-forced forward() is a loop over the same step, so training, greedy
// decoding and beam search (nn/decoding.hpp) run one piece of code.
#include "nn/attention.hpp"
#include "nn/embedding.hpp"
#include "nn/rnn.hpp"

namespace tg::nn {

/// The recurrent layer of a Seq2SeqEncoder or decoder: CellSpec::Kind::Gru (the default), Lstm or Rnn.
using RnnType = CellSpec::Kind;

struct Seq2SeqEncoderOptions {
  Seq2SeqEncoderOptions(std::size_t vocab_size, std::size_t embed_size, std::size_t num_hiddens)
      : vocab_size_(vocab_size), embed_size_(embed_size), num_hiddens_(num_hiddens) {}
  Seq2SeqEncoderOptions& num_layers(std::size_t n) { num_layers_ = n; return *this; }
  Seq2SeqEncoderOptions& dropout(double p) { dropout_ = p; return *this; }
  Seq2SeqEncoderOptions& bidirectional(bool on) { bidirectional_ = on; return *this; }
  Seq2SeqEncoderOptions& rnn_type(RnnType t) { rnn_type_ = t; return *this; }

  std::size_t vocab_size_, embed_size_, num_hiddens_, num_layers_ = 1;
  double dropout_ = 0;  // between recurrent layers, in training only
  bool bidirectional_ = false;
  RnnType rnn_type_ = RnnType::Gru;
};

/// What an encoder hands to a decoder.
struct EncoderOutput {
  /// (S, N, D * H): the top layer's annotations h_j = [forward h_j; backward h_j], zero beyond each
  /// source's length.
  Tensor output;
  /// h_n (and c_n for an LSTM) of every layer and direction, (D * num_layers, N, H), as PyTorch's.
  RecurrentState state;
  Lengths lengths;  // the source lengths (empty: all full)
  std::size_t num_layers = 1, num_directions = 1;
};

/// Embedding + multi-layer GRU, LSTM or RNN, uni- or bidirectional, over the valid prefix of each
/// source. Parameters embedding.weight, rnn.weight_ih_l0, rnn.weight_hh_l0_reverse, ...
///
///     auto encoder = std::make_shared<tg::nn::Seq2SeqEncoder>(
///         tg::nn::Seq2SeqEncoderOptions(1000, 32, 64).num_layers(2).bidirectional(true));
///     tg::nn::EncoderOutput enc = encoder->forward(source, {7, 5, 3});   // source (7, 3): enc.output (7, 3, 128)
class Seq2SeqEncoder : public Module {
 public:
  explicit Seq2SeqEncoder(const Seq2SeqEncoderOptions& options);

  EncoderOutput forward(const IndexArray& source, const Lengths& lengths = {});
  /// D * num_hiddens: the size of an annotation.
  std::size_t output_size() const { return rnn->num_directions() * options.num_hiddens_; }

  Seq2SeqEncoderOptions options;
  std::shared_ptr<Embedding> embedding;
  std::shared_ptr<RecurrentLayer> rnn;

 protected:
  std::string extra_repr() const override;
};

/// Options shared by both decoders. `context_size` is the encoder's output_size().
struct Seq2SeqDecoderOptions {
  Seq2SeqDecoderOptions(std::size_t vocab_size, std::size_t embed_size, std::size_t num_hiddens,
                        std::size_t context_size)
      : vocab_size_(vocab_size), embed_size_(embed_size), num_hiddens_(num_hiddens), context_size_(context_size) {}
  Seq2SeqDecoderOptions& num_layers(std::size_t n) { num_layers_ = n; return *this; }
  Seq2SeqDecoderOptions& dropout(double p) { dropout_ = p; return *this; }
  Seq2SeqDecoderOptions& rnn_type(RnnType t) { rnn_type_ = t; return *this; }
  /// Bahdanau et al.'s initial state s_0 = tanh(W_s h), h being the encoder top layer's backward
  /// state at the first source position (its forward final state when unidirectional), of size
  /// `encoder_hidden_size`; W_s.weight (num_layers * num_hiddens, encoder_hidden_size) and W_s.bias
  /// give every decoder layer its own s_0 (an LSTM's c_0 is 0). By default (0) the decoder starts
  /// from the encoder's final state, as d2l: then num_layers must be the encoder's and num_hiddens
  /// its D * H (each layer's forward and backward state side by side).
  Seq2SeqDecoderOptions& bahdanau_init(std::size_t encoder_hidden_size) { bahdanau_init_ = encoder_hidden_size; return *this; }
  /// The paper's deep output: t = maxout over pairs of deep_output([s_i; E y_{i-1}; c_i]) (2 * size
  /// units -> size), then dense(t); 0 (the default): dense(s_i).
  Seq2SeqDecoderOptions& maxout(std::size_t size) { maxout_ = size; return *this; }
  /// Additive attention's hidden size (attention decoder only; 0, the default, means num_hiddens).
  Seq2SeqDecoderOptions& attention_hiddens(std::size_t n) { attention_hiddens_ = n; return *this; }

  std::size_t vocab_size_, embed_size_, num_hiddens_, context_size_, num_layers_ = 1;
  double dropout_ = 0;
  RnnType rnn_type_ = RnnType::Gru;
  std::size_t bahdanau_init_ = 0, maxout_ = 0, attention_hiddens_ = 0;
};

/// The state a decoder carries from one token to the next, for a batch of N sequences.
struct DecoderState {
  RecurrentState rnn;  // h (num_layers, N, H), and c for an LSTM
  Tensor context;      // plain decoder: the encoder's top-layer final state (N, C), the same every step
  Tensor memory;       // attention decoder: the annotations, batch-major (N, S, C)
  Tensor keys;         // attention decoder: the annotations projected once by W_k (N, S, attention_hiddens)
  Lengths lengths;     // the source lengths

  std::size_t batch_size() const { return rnn.h.size(1); }
  /// The state of the sequences `rows` (in that order, repeats allowed): how beam search follows and
  /// multiplies its hypotheses.
  DecoderState select_rows(const IndexArray& rows) const;
};

/// One step of a decoder.
struct DecoderStep {
  Tensor logits;     // (N, vocab_size)
  Tensor attention;  // (N, S): the attention weights of this step (undefined for the plain decoder)
  DecoderState state;
};

/// A teacher-forced run over T steps.
struct DecoderOutput {
  Tensor logits;     // (T, N, vocab_size)
  Tensor attention;  // (T, N, S) (undefined for the plain decoder)
  DecoderState state;
};

/// What both decoders share: embedding, rnn (its input [embedded previous token; context]), W_s and
/// deep_output by option, dense; the initial state and the step loop. A subclass says only what the
/// context of a step is.
class RecurrentDecoder : public Module {
 public:
  /// The state before the first token, from the encoder's output.
  DecoderState init_state(const EncoderOutput& encoded);
  /// Advances every sequence by one token: `tokens` (N) are the previous tokens (<bos> first).
  DecoderStep step(const IndexArray& tokens, const DecoderState& state);
  /// Teacher forcing: inputs (T, N) are <bos> followed by the targets but the last. The values of a
  /// loop over step(); the output layers run once over all T steps.
  DecoderOutput forward(const IndexArray& inputs, const DecoderState& state);

  Seq2SeqDecoderOptions options;
  std::shared_ptr<Embedding> embedding;
  std::shared_ptr<RecurrentLayer> rnn;
  std::shared_ptr<Linear> W_s;          // with bahdanau_init only
  std::shared_ptr<Linear> deep_output;  // with maxout only
  std::shared_ptr<Linear> dense;

 protected:
  RecurrentDecoder(const char* name, const Seq2SeqDecoderOptions& options);
  /// The context of the step that reads `state`, and its attention weights (N, S) if any.
  virtual AttentionOutput context(const DecoderState& state) = 0;
  /// What the subclass keeps in the state besides the recurrent one.
  virtual void init_memory(const EncoderOutput& encoded, DecoderState& state) = 0;
  std::string extra_repr() const override;

 private:
  void check_state(const DecoderState& state) const;
  /// A step up to the output layers: what they read, the attention weights, the next state.
  struct StepFeatures {
    Tensor features;  // (N, F): s, or [s; embedded; context] with maxout
    Tensor attention;
    DecoderState state;
  };
  StepFeatures step_embedded(const Tensor& embedded, const DecoderState& state);
  /// The output layers on features (..., F): maxout's deep output if any, then dense -> (..., vocab).
  Tensor output_layers(const Tensor& features);
};

/// d2l's Seq2SeqDecoder: the context is the encoder's top-layer final state (N, D * H), the same
/// at every step.
///
///     auto decoder = std::make_shared<tg::nn::Seq2SeqDecoder>(
///         tg::nn::Seq2SeqDecoderOptions(1000, 32, 64, encoder->output_size()).num_layers(2));
///     auto out = decoder->forward(inputs, decoder->init_state(encoder->forward(source, lengths)));
class Seq2SeqDecoder : public RecurrentDecoder {
 public:
  explicit Seq2SeqDecoder(const Seq2SeqDecoderOptions& options);

 protected:
  AttentionOutput context(const DecoderState& state) override;
  void init_memory(const EncoderOutput& encoded, DecoderState& state) override;
};

/// Bahdanau et al.'s decoder, as d2l's Seq2SeqAttentionDecoder: at step i the query is the top
/// layer's s_{i-1}, the context c_i is the additive attention over the annotations (keys projected
/// once, in init_state), and the step's weights come back with its logits. Parameters attention.W_q,
/// attention.W_k, attention.w_v besides the shared ones.
///
///     auto decoder = std::make_shared<tg::nn::Seq2SeqAttentionDecoder>(
///         tg::nn::Seq2SeqDecoderOptions(1000, 32, 64, encoder->output_size()).bahdanau_init(32).maxout(50));
///     auto state = decoder->init_state(encoder->forward(source, lengths));
///     auto s = decoder->step(tg::IndexArray({bos, bos}), state);   // s.logits (2, 1000), s.attention (2, S)
class Seq2SeqAttentionDecoder : public RecurrentDecoder {
 public:
  explicit Seq2SeqAttentionDecoder(const Seq2SeqDecoderOptions& options);

  std::shared_ptr<AdditiveAttention> attention;

 protected:
  AttentionOutput context(const DecoderState& state) override;
  void init_memory(const EncoderOutput& encoded, DecoderState& state) override;
};

/// An encoder and a decoder, as d2l's EncoderDecoder: parameters encoder.* and decoder.*.
///
///     auto model = std::make_shared<tg::nn::EncoderDecoder>(encoder, decoder);
///     auto out = model->forward(source, source_lengths, inputs);
///     tg::Tensor loss = tg::nn::masked_cross_entropy(out.logits, targets, target_lengths);
class EncoderDecoder : public Module {
 public:
  EncoderDecoder(std::shared_ptr<Seq2SeqEncoder> encoder, std::shared_ptr<RecurrentDecoder> decoder);

  DecoderOutput forward(const IndexArray& source, const Lengths& source_lengths, const IndexArray& inputs);

  std::shared_ptr<Seq2SeqEncoder> encoder;
  std::shared_ptr<RecurrentDecoder> decoder;
};

}  // namespace tg::nn
