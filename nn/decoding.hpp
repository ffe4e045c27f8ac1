#pragma once
// Translating with a trained EncoderDecoder: greedy decoding and batched beam search, both built on
// the decoder's step() and both returning the attention weights of the output they chose.
#include "nn/seq2seq.hpp"

namespace tg::nn {

struct DecodeOptions {
  DecodeOptions(Index bos, Index eos) : bos_(bos), eos_(eos) {}
  /// At most this many output tokens (<eos> included).
  DecodeOptions& max_length(std::size_t n) { max_length_ = n; return *this; }
  /// Beam search: hypotheses kept per sentence (1 is greedy).
  DecodeOptions& beam_size(std::size_t k) { beam_size_ = k; return *this; }
  /// Beam search: a finished hypothesis scores log P / length^alpha (alpha 0: plain log P).
  DecodeOptions& alpha(double a) { alpha_ = a; return *this; }

  Index bos_, eos_;
  std::size_t max_length_ = 50, beam_size_ = 4;
  double alpha_ = 0.75;
};

/// One translated sentence.
struct Translation {
  std::vector<Index> tokens;      // the output, ending with <eos> unless max_length cut it
  /// (tokens.size(), source length): row i made tokens[i]; (0, 0) for a plain decoder.
  xt::xarray<double> attention = xt::xarray<double>::from_shape({0, 0});
  double log_probability = 0;     // log P(tokens | source)
  double score = 0;               // what was maximised: log_probability / tokens.size()^alpha (greedy: alpha 0)
};

/// Picks the most likely token at every step until <eos> or max_length, for every source of the batch
/// (source (S, N) time-major, lengths as the encoder's); beam_size and alpha are beam search's and
/// are not read. Runs without recording a graph; put the model in eval() first if it has dropout.
///
///     model->eval();
///     auto out = tg::nn::greedy_decode(*model, source, {5, 3}, tg::nn::DecodeOptions(bos, eos).max_length(20));
///     out[0].tokens;      // {17, 4, 9, eos}
std::vector<Translation> greedy_decode(EncoderDecoder& model, const IndexArray& source, const Lengths& lengths,
                                       const DecodeOptions& options);

/// Beam search with beam_size hypotheses per sentence, all sentences of the batch stepped together
/// (N * beam_size rows). A hypothesis that emits <eos> is finished; a sentence stops when it has
/// beam_size finished ones (or at max_length, where its live ones count too), and returns the best by
/// score. Beam size 1 gives greedy_decode's tokens.
///
///     auto best = tg::nn::beam_search(*model, source, {}, tg::nn::DecodeOptions(bos, eos).beam_size(5));
std::vector<Translation> beam_search(EncoderDecoder& model, const IndexArray& source, const Lengths& lengths,
                                     const DecodeOptions& options);

}  // namespace tg::nn
