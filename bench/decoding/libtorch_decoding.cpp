// The decoding benchmark (bench/decoding/README.md) in LibTorch's C++ frontend: greedy and beam
// search with the W5 model, as bench/decoding/pytorch_decoding.py, under torch::InferenceMode.
//
//     libtorch_decoding --threads-config best2 [--sentences 1000 --batch 64 --max-length 20 --beam 5 --passes 3 --dump FILE]
//
// "1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads. The model
// is bench/libtorch/workloads.cpp's Seq2Seq (the same parameter names, so the same initial values)
// with encode() and step(); the decoders follow nn/decoding.cpp rule for rule.
#include "common.hpp"
#include "decoding_harness.hpp"

#include <cmath>
#include <limits>

namespace {

using bench::decoding::Output;
using bench::libtorch::init_parameters;
using bench::libtorch::Memory;
using bench::libtorch::Seq2Seq;
using bench::libtorch::set_threads;
constexpr double kImpossible = -std::numeric_limits<double>::infinity();

/// The first most likely token at every step until <eos> or max_length; Output.score is log P.
std::vector<Output> greedy_decode(Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                  const bench::decoding::Args& a) {
  Memory m = model->encode(src, lengths);
  const auto n = static_cast<std::size_t>(src.size(1));
  auto tokens = torch::full({static_cast<std::int64_t>(n)}, bench::kW5.bos, torch::kInt64);
  std::vector<Output> out(n);
  std::vector<bool> done(n, false);
  for (std::size_t t = 0; t < a.max_length && std::count(done.begin(), done.end(), false) > 0; ++t) {
    auto [best, picked] = torch::log_softmax(model->step(tokens, m), -1).max(-1);  // the first maximum
    tokens = picked;
    auto p = picked.accessor<std::int64_t, 1>();
    auto logp = best.accessor<float, 1>();
    for (std::size_t b = 0; b < n; ++b) {
      const auto i = static_cast<std::int64_t>(b);
      if (done[b]) continue;
      out[b].tokens.push_back(p[i]);
      out[b].score += static_cast<double>(logp[i]);
      done[b] = p[i] == a.eos;
    }
  }
  return out;
}

/// A hypothesis: its tokens and log P.
struct Hypothesis {
  std::vector<std::int64_t> tokens;
  double log_probability = 0;
};

/// The m best of scores[b] (a sentence's k * V extension scores) as (score, index), best first, ties
/// to the lower index: topk's m + 1 best, re-sorted; where the m-th ties with the (m + 1)-th (the tie
/// may reach beyond what topk returned), every candidate at least as good, re-sorted.
std::vector<std::pair<double, std::int64_t>> best_candidates(const torch::Tensor& scores, std::int64_t b,
                                                             const torch::TensorAccessor<double, 2>& values,
                                                             const torch::TensorAccessor<std::int64_t, 2>& indices,
                                                             std::size_t m) {
  std::vector<std::pair<double, std::int64_t>> pairs;
  for (std::int64_t j = 0; j < values.size(1); ++j) pairs.emplace_back(values[b][j], indices[b][j]);
  if (pairs.size() > m && pairs[m].first == pairs[m - 1].first && pairs[m - 1].first != kImpossible) {
    auto row = scores[b];
    auto chosen = (row >= pairs[m - 1].first).nonzero().squeeze(1);
    auto chosen_values = row.index_select(0, chosen);
    pairs.clear();
    for (std::int64_t j = 0; j < chosen.size(0); ++j)
      pairs.emplace_back(chosen_values[j].item<double>(), chosen[j].item<std::int64_t>());
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  });
  pairs.resize(std::min(pairs.size(), m));
  return pairs;
}

/// k hypotheses per sentence, all sentences stepped together (N * k rows), as nn::beam_search: the
/// best 2k of the k * V extensions in order, an <eos> one finished, the others refilling the k rows
/// until k are filled; a sentence stops with k finished, at max_length its live ones compete too.
/// Output.score is log P / length^alpha.
std::vector<Output> beam_search(Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                const bench::decoding::Args& a) {
  const auto k = static_cast<std::int64_t>(a.beam), vocab = bench::kW5.vocab_tgt;
  const auto n = src.size(1);
  Memory m = model->encode(src, lengths);
  auto rows = torch::arange(n).repeat_interleave(k);
  m.values = m.values.index_select(0, rows);
  m.keys = m.keys.index_select(0, rows);
  m.pad = m.pad.index_select(0, rows);
  for (auto& h : m.state) h = h.index_select(0, rows);
  std::vector<Hypothesis> live(static_cast<std::size_t>(n * k));
  for (std::size_t r = 0; r < live.size(); ++r)
    if (r % static_cast<std::size_t>(k)) live[r].log_probability = kImpossible;  // one start per sentence
  std::vector<std::vector<Output>> finished(static_cast<std::size_t>(n));
  std::vector<bool> done(static_cast<std::size_t>(n), false);
  auto tokens = torch::full({n * k}, bench::kW5.bos, torch::kInt64);
  const auto score = [&](double log_probability, std::size_t length) {
    return log_probability / std::pow(static_cast<double>(std::max<std::size_t>(length, 1)), a.alpha);
  };
  const std::size_t top = static_cast<std::size_t>(std::min(2 * k, k * vocab));
  auto live_logp = torch::empty({n * k}, torch::kFloat64);
  for (std::size_t t = 0; t < a.max_length && std::count(done.begin(), done.end(), false) > 0; ++t) {
    auto logits = model->step(tokens, m);
    auto lp = live_logp.accessor<double, 1>();
    for (std::size_t r = 0; r < live.size(); ++r) lp[static_cast<std::int64_t>(r)] = live[r].log_probability;
    auto scores = (live_logp.unsqueeze(1) + torch::log_softmax(logits, -1).to(torch::kFloat64)).view({n, k * vocab});
    auto [top_values, top_indices] = scores.topk(std::min<std::int64_t>(static_cast<std::int64_t>(top) + 1, k * vocab), 1);
    auto values = top_values.accessor<double, 2>();
    auto indices = top_indices.accessor<std::int64_t, 2>();
    std::vector<Hypothesis> next(live.size());
    auto picked = torch::empty({n * k}, torch::kInt64);
    auto p = picked.accessor<std::int64_t, 1>();
    for (std::int64_t b = 0; b < n; ++b) {
      const std::int64_t first = b * k;
      for (std::int64_t j = 0; j < k; ++j) p[first + j] = first;  // the row each new hypothesis extends
      std::int64_t filled = 0;
      if (!done[static_cast<std::size_t>(b)]) {
        for (const auto& [total, c] : best_candidates(scores, b, values, indices, top)) {
          if (filled >= k || total == kImpossible) break;
          const std::int64_t parent = first + c / vocab;
          Hypothesis h{live[static_cast<std::size_t>(parent)].tokens, total};
          h.tokens.push_back(c % vocab);
          if (c % vocab == a.eos) {
            finished[static_cast<std::size_t>(b)].push_back({h.tokens, score(total, h.tokens.size())});
            continue;
          }
          p[first + filled] = parent;
          next[static_cast<std::size_t>(first + filled++)] = std::move(h);
        }
        done[static_cast<std::size_t>(b)] = finished[static_cast<std::size_t>(b)].size() >= static_cast<std::size_t>(k);
      }
      for (std::int64_t j = filled; j < k; ++j) next[static_cast<std::size_t>(first + j)].log_probability = kImpossible;
    }
    live = std::move(next);
    auto tk = tokens.accessor<std::int64_t, 1>();
    for (std::size_t r = 0; r < live.size(); ++r)
      tk[static_cast<std::int64_t>(r)] = live[r].tokens.empty() ? bench::kW5.bos : live[r].tokens.back();
    for (auto& h : m.state) h = h.index_select(0, picked);
  }
  std::vector<Output> best(static_cast<std::size_t>(n));
  for (std::size_t b = 0; b < best.size(); ++b) {
    auto& f = finished[b];
    if (!done[b])  // max_length reached: the live hypotheses compete too
      for (std::size_t r = b * static_cast<std::size_t>(k); r < (b + 1) * static_cast<std::size_t>(k); ++r)
        if (live[r].log_probability != kImpossible)
          f.push_back({live[r].tokens, score(live[r].log_probability, live[r].tokens.size())});
    if (!f.empty())  // the first best
      best[b] = *std::max_element(f.begin(), f.end(), [](const Output& x, const Output& y) { return x.score < y.score; });
  }
  return best;
}

/// A Decoder over batches of the sentences, their tensors made before timing.
template <class Decode>
bench::decoding::Decoder decoder(Seq2Seq model, const bench::decoding::Args& a, Decode decode) {
  const auto tokens = bench::decoding::source_tokens(a.sentences);
  const auto lengths = bench::decoding::source_lengths(a.sentences);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  for (std::size_t first = 0; first < a.sentences; first += a.batch) {
    const std::size_t last = std::min(first + a.batch, a.sentences);
    const auto n = static_cast<std::int64_t>(last - first);
    auto source = bench::decoding::batch_source(tokens, first, last);
    batches.emplace_back(torch::from_blob(source.data(), {bench::kW5.src_len, n}, torch::kInt64).clone(),
                         torch::from_blob(const_cast<std::int64_t*>(lengths.data() + first), {n}, torch::kInt64).clone());
  }
  return [model, a, batches, decode](std::size_t first, std::size_t last, std::vector<Output>& out) mutable {
    const auto& [source, source_lengths] = batches.at(first / a.batch);
    if (static_cast<std::size_t>(source.size(1)) != last - first)
      throw std::logic_error("decoding: batches are [k batch, (k + 1) batch)");
    torch::InferenceMode inference;
    for (Output& o : decode(model, source, source_lengths, a)) out.push_back(std::move(o));
  };
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::decoding::parse_args(argc, argv, {"1T", "best2"});
  set_threads(args.threads);
  Seq2Seq model(bench::kW5);
  init_parameters(*model);
  model->eval();
  bench::decoding::run_and_report("libtorch", args, decoder(model, args, greedy_decode),
                                  decoder(model, args, beam_search));
}
