#include "nn/decoding.hpp"

#include "autograd/ops.hpp"
#include "autograd/ops/blas.hpp"
#include "nn/masking.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tg::nn {

namespace {

constexpr double kImpossible = -std::numeric_limits<double>::infinity();

/// A hypothesis being extended: its tokens, the attention row of each, log P.
struct Hypothesis {
  std::vector<Index> tokens;
  std::vector<std::vector<double>> attention;
  double log_probability = 0;
};

/// What both decoders need: the options checked, the encoder run, the source lengths known.
struct Decoding {
  std::vector<std::size_t> source_lengths;
  DecoderState state;
};

Decoding start(const char* who, EncoderDecoder& model, const IndexArray& source, const Lengths& lengths,
               const DecodeOptions& options) {
  const auto vocab = static_cast<Index>(model.decoder->options.vocab_size_);
  if (source.dimension() != 2)
    fail<ShapeError>("{}: source of shape {} must be (steps, batch)", who, shape_str(source.shape()));
  for (auto [name, id] : {std::pair{"bos", options.bos_}, {"eos", options.eos_}})
    if (id < 0 || id >= vocab) fail<IndexError>("{}: {} id {} is outside the target vocabulary [0, {})", who, name, id, vocab);
  if (options.max_length_ == 0 || options.beam_size_ == 0)
    fail<ValueError>("{}: max_length ({}) and beam_size ({}) must be positive", who, options.max_length_,
                     options.beam_size_);
  if (!(options.alpha_ >= 0 && std::isfinite(options.alpha_)))
    fail<ValueError>("{}: alpha {} must be finite and >= 0", who, options.alpha_);
  const std::string where = fmt::format("{}: source {}", who, shape_str(source.shape()));
  Decoding d{checked_lengths(lengths, source.shape(1), source.shape(0), where), {}};
  d.state = model.decoder->init_state(model.encoder->forward(source, lengths));
  return d;
}

/// A step's log-probabilities (N, V) and attention weights (N, S; empty for a plain decoder) in float64.
struct StepValues {
  xt::xarray<double> logp, attention;

  explicit StepValues(const DecoderStep& s) : logp(log_softmax(s.logits, -1).to(kFloat64).data<double>()) {
    if (s.attention.defined()) attention = s.attention.to(kFloat64).data<double>();
  }
  /// The attention row of `row` over the first `length` source positions.
  std::vector<double> attention_row(std::size_t row, std::size_t length) const {
    if (attention.dimension() != 2) return {};
    const double* w = attention.data() + row * attention.shape(1);
    return {w, w + length};
  }
};

Translation finish(Hypothesis h, double alpha) {
  Translation t;
  t.log_probability = h.log_probability;
  t.score = h.log_probability / std::pow(static_cast<double>(std::max<std::size_t>(h.tokens.size(), 1)), alpha);
  if (!h.attention.empty() && !h.attention.front().empty()) {
    t.attention = xt::xarray<double>::from_shape({h.attention.size(), h.attention.front().size()});
    for (std::size_t i = 0; i < h.attention.size(); ++i)
      std::copy(h.attention[i].begin(), h.attention[i].end(), t.attention.data() + i * t.attention.shape(1));
  }
  t.tokens = std::move(h.tokens);
  return t;
}

}  // namespace

std::vector<Translation> greedy_decode(EncoderDecoder& model, const IndexArray& source, const Lengths& lengths,
                                       const DecodeOptions& options) {
  NoGradGuard no_grad;
  detail::ReusePackedWeights reuse;  // the weights stay as they are for the whole call
  Decoding d = start("greedy_decode", model, source, lengths, options);
  const std::size_t batch = source.shape(1);
  std::vector<Hypothesis> out(batch);
  std::vector<bool> done(batch, false);
  IndexArray tokens = xt::full_like(IndexArray::from_shape({batch}), options.bos_);
  for (std::size_t t = 0; t < options.max_length_ && std::count(done.begin(), done.end(), false) > 0; ++t) {
    DecoderStep s = model.decoder->step(tokens, d.state);
    const StepValues values(s);
    const xt::xarray<double>& logp = values.logp;
    for (std::size_t b = 0; b < batch; ++b) {
      const double* row = logp.data() + b * logp.shape(1);
      tokens(b) = static_cast<Index>(std::max_element(row, row + logp.shape(1)) - row);  // the first maximum
      if (done[b]) continue;
      out[b].tokens.push_back(tokens(b));
      out[b].attention.push_back(values.attention_row(b, d.source_lengths[b]));
      out[b].log_probability += row[tokens(b)];
      done[b] = tokens(b) == options.eos_;
    }
    d.state = std::move(s.state);
  }
  std::vector<Translation> translations;
  for (Hypothesis& h : out) translations.push_back(finish(std::move(h), 0));
  return translations;
}

// Each sentence keeps k live hypotheses in rows [b k, (b + 1) k) of the decoder state. At every step
// the best 2k of their k * V extensions are taken in order: an <eos> one is finished, the others
// refill the k rows (2k always holds k that do not end, unless fewer exist).
std::vector<Translation> beam_search(EncoderDecoder& model, const IndexArray& source, const Lengths& lengths,
                                     const DecodeOptions& options) {
  NoGradGuard no_grad;
  detail::ReusePackedWeights reuse;  // the weights stay as they are for the whole call
  Decoding d = start("beam_search", model, source, lengths, options);
  const std::size_t batch = source.shape(1), k = options.beam_size_;
  IndexArray rows = IndexArray::from_shape({batch * k});
  for (std::size_t r = 0; r < batch * k; ++r) rows(r) = static_cast<Index>(r / k);
  d.state = d.state.select_rows(rows);
  std::vector<Hypothesis> live(batch * k);
  for (std::size_t r = 0; r < batch * k; ++r)
    if (r % k) live[r].log_probability = kImpossible;  // one start per sentence, not k copies of it
  std::vector<std::vector<Translation>> finished(batch);
  std::vector<bool> done(batch, false);
  IndexArray tokens = xt::full_like(rows, options.bos_);

  for (std::size_t t = 0; t < options.max_length_ && std::count(done.begin(), done.end(), false) > 0; ++t) {
    DecoderStep s = model.decoder->step(tokens, d.state);
    const StepValues values(s);
    const xt::xarray<double>& logp = values.logp;
    const std::size_t vocab = logp.shape(1);
    std::vector<Hypothesis> next(batch * k);
    for (std::size_t b = 0; b < batch; ++b) {
      const std::size_t first = b * k;
      std::vector<std::size_t> picked(k, first);  // the row each new hypothesis extends
      if (done[b]) {
        for (std::size_t j = 0; j < k; ++j) next[first + j].log_probability = kImpossible;
        std::copy(picked.begin(), picked.end(), rows.begin() + static_cast<long>(first));
        continue;
      }
      // The 2k best candidates j * V + v, best first; ties go to the lower index, as greedy's first
      // maximum. One pass in index order keeps them sorted: a candidate goes after every kept one that
      // scores at least as well, so an equal score never displaces an earlier index.
      const std::size_t top = std::min(2 * k, k * vocab);
      std::vector<std::pair<double, std::size_t>> best;  // (score, candidate)
      best.reserve(top + 1);
      for (std::size_t j = 0, c = 0; j < k; ++j) {
        const double parent_score = live[first + j].log_probability;
        const double* row = &logp(first + j, 0);
        for (std::size_t v = 0; v < vocab; ++v, ++c) {
          const double total = parent_score + row[v];
          if (best.size() == top && !(total > best.back().first)) continue;
          const auto at = std::upper_bound(best.begin(), best.end(), total,
                                           [](double s, const std::pair<double, std::size_t>& e) { return s > e.first; });
          best.insert(at, {total, c});
          if (best.size() > top) best.pop_back();
        }
      }
      std::size_t filled = 0;
      for (std::size_t i = 0; i < best.size() && filled < k; ++i) {
        const auto [total, c] = best[i];
        const std::size_t parent = first + c / vocab;
        if (total == kImpossible) break;
        Hypothesis h = live[parent];
        h.tokens.push_back(static_cast<Index>(c % vocab));
        h.attention.push_back(values.attention_row(parent, d.source_lengths[b]));
        h.log_probability = total;
        if (h.tokens.back() == options.eos_) {
          finished[b].push_back(finish(std::move(h), options.alpha_));
          continue;
        }
        picked[filled] = parent;
        next[first + filled++] = std::move(h);
      }
      for (std::size_t j = filled; j < k; ++j) next[first + j].log_probability = kImpossible;
      std::copy(picked.begin(), picked.end(), rows.begin() + static_cast<long>(first));
      done[b] = finished[b].size() >= k;
    }
    live = std::move(next);
    for (std::size_t r = 0; r < batch * k; ++r) tokens(r) = live[r].tokens.empty() ? options.bos_ : live[r].tokens.back();
    // A sentence's k rows share its annotations and keys: only the recurrent state follows the hypotheses.
    d.state = std::move(s.state);
    d.state.rnn = DecoderState{d.state.rnn, {}, {}, {}, {}}.select_rows(rows).rnn;
  }

  std::vector<Translation> best(batch);
  for (std::size_t b = 0; b < batch; ++b) {
    if (!done[b])  // max_length reached: the live hypotheses compete too
      for (std::size_t j = 0; j < k; ++j)
        if (live[b * k + j].log_probability != kImpossible) finished[b].push_back(finish(live[b * k + j], options.alpha_));
    if (finished[b].empty()) continue;
    best[b] = *std::max_element(finished[b].begin(), finished[b].end(),
                                [](const Translation& x, const Translation& y) { return x.score < y.score; });
  }
  return best;
}

}  // namespace tg::nn
