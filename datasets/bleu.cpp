#include "datasets/bleu.hpp"

#include "autograd/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

namespace tg::data {

namespace {

using NgramCounts = std::map<std::vector<std::string>, std::size_t>;

NgramCounts ngrams(const Tokens& tokens, std::size_t n) {
  NgramCounts counts;
  for (std::size_t i = 0; i + n <= tokens.size(); ++i)
    ++counts[std::vector<std::string>(tokens.begin() + static_cast<long>(i), tokens.begin() + static_cast<long>(i + n))];
  return counts;
}

/// n-grams of the hypothesis found in the references, each counted at most as often as the reference
/// that holds it most often has it.
std::size_t clipped_matches(const Tokens& hypothesis, const std::vector<Tokens>& references, std::size_t n) {
  NgramCounts most;
  for (const Tokens& reference : references)
    for (const auto& [gram, count] : ngrams(reference, n)) most[gram] = std::max(most[gram], count);
  std::size_t matches = 0;
  for (const auto& [gram, count] : ngrams(hypothesis, n)) {
    auto it = most.find(gram);
    if (it != most.end()) matches += std::min(count, it->second);
  }
  return matches;
}

}  // namespace

Tokens split_tokens(std::string_view text) {
  Tokens tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = text.find_first_not_of(" \t\r\n", i);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t\r\n", start), text.size());
    tokens.emplace_back(text.substr(start, end - start));
    i = end;
  }
  return tokens;
}

double bleu(std::string_view prediction, std::string_view reference, std::size_t k) {
  return bleu(split_tokens(prediction), split_tokens(reference), k);
}

// score = exp(min(0, 1 - len_ref / len_pred)) * prod_{n <= min(k, len_pred)} p_n^(1 / 2^n)
double bleu(const Tokens& prediction, const Tokens& reference, std::size_t k) {
  if (prediction.empty()) return 0;
  const auto len_pred = static_cast<double>(prediction.size()), len_ref = static_cast<double>(reference.size());
  double score = std::exp(std::min(0.0, 1 - len_ref / len_pred));
  for (std::size_t n = 1; n <= std::min(k, prediction.size()); ++n) {
    const double precision = static_cast<double>(clipped_matches(prediction, {reference}, n)) /
                             static_cast<double>(prediction.size() - n + 1);
    score *= std::pow(precision, std::pow(0.5, static_cast<double>(n)));
  }
  return score;
}

// BLEU = BP * exp(sum_n log(p_n) / max_n), p_n = sum of clipped matches / sum of max(1, n-gram count);
// BP = 1 if c > r, else exp(1 - r / c) (0 when c = 0).
double corpus_bleu(const std::vector<Tokens>& hypotheses, const std::vector<std::vector<Tokens>>& references,
                   std::size_t max_n) {
  if (hypotheses.size() != references.size())
    fail<ValueError>("corpus_bleu: {} hypotheses but {} lists of references", hypotheses.size(), references.size());
  if (max_n == 0) fail<ValueError>("corpus_bleu: max_n must be at least 1");
  std::vector<double> matches(max_n + 1, 0), counts(max_n + 1, 0);
  double hypothesis_length = 0, reference_length = 0;
  for (std::size_t i = 0; i < hypotheses.size(); ++i) {
    const Tokens& h = hypotheses[i];
    if (references[i].empty()) fail<ValueError>("corpus_bleu: hypothesis {} has no reference", i);
    for (std::size_t n = 1; n <= max_n; ++n) {
      matches[n] += static_cast<double>(clipped_matches(h, references[i], n));
      counts[n] += static_cast<double>(std::max<std::size_t>(1, h.size() >= n ? h.size() - n + 1 : 0));
    }
    const auto closest = std::min_element(references[i].begin(), references[i].end(), [&](const Tokens& a, const Tokens& b) {
      const auto distance = [&](const Tokens& r) { return std::abs(static_cast<long>(r.size()) - static_cast<long>(h.size())); };
      return distance(a) < distance(b) || (distance(a) == distance(b) && a.size() < b.size());
    });
    hypothesis_length += static_cast<double>(h.size());
    reference_length += static_cast<double>(closest->size());
  }
  if (hypothesis_length == 0) return 0;
  double log_precision = 0;
  for (std::size_t n = 1; n <= max_n; ++n) {
    if (matches[n] == 0) return 0;
    log_precision += std::log(matches[n] / counts[n]) / static_cast<double>(max_n);
  }
  const double brevity = hypothesis_length > reference_length ? 1 : std::exp(1 - reference_length / hypothesis_length);
  return brevity * std::exp(log_precision);
}

}  // namespace tg::data
