#include "elmo/pretrain.hpp"

#include <algorithm>
#include <cmath>

namespace tg::examples::elmo {

std::vector<Sentence> read_sentences(std::string_view text, std::size_t max_words) {
  const data::Tokenizer words(data::TokenLevel::Word, data::Normalizer::Translation);
  std::vector<Sentence> out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    Sentence s = words.tokenize(line.substr(0, line.find('\t')));
    if (s.size() > max_words) s.resize(max_words);
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

data::Vocab bilm_vocab(const std::vector<Sentence>& sentences, std::size_t min_freq) {
  std::vector<std::string> all;
  for (const Sentence& s : sentences) all.insert(all.end(), s.begin(), s.end());
  return data::Vocab(all, data::VocabOptions()
                              .reserved({std::string(data::ElmoChars::kBosToken), std::string(data::ElmoChars::kEosToken)})
                              .min_freq(min_freq));
}

BiLmBatch make_batch(const std::vector<Sentence>& sentences, const data::Vocab& vocab) {
  std::size_t longest = 0;
  for (const Sentence& s : sentences) longest = std::max(longest, s.size());
  BiLmBatch b{data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(sentences)).ids,
              xt::zeros<Index>({sentences.size(), longest + 2}), 0};
  const Index bos = vocab[std::string(data::ElmoChars::kBosToken)], eos = vocab[std::string(data::ElmoChars::kEosToken)];
  for (std::size_t n = 0; n < sentences.size(); ++n) {
    const Sentence& s = sentences[n];
    b.words(n, 0) = bos;
    for (std::size_t t = 0; t < s.size(); ++t) b.words(n, t + 1) = vocab[s[t]];
    b.words(n, s.size() + 1) = eos;
    b.tokens += s.size();
  }
  return b;
}

Perplexities evaluate(nn::ElmoBiLm& bilm, const std::vector<Sentence>& sentences, const data::Vocab& vocab,
                      std::size_t batch_size) {
  NoGradGuard no_grad;
  double forward = 0, backward = 0, predictions = 0;
  for (std::size_t first = 0; first < sentences.size(); first += batch_size) {
    const std::vector<Sentence> some(sentences.begin() + static_cast<std::ptrdiff_t>(first),
                                     sentences.begin() + static_cast<std::ptrdiff_t>(std::min(first + batch_size, sentences.size())));
    const BiLmBatch b = make_batch(some, vocab);
    const nn::BiLmLosses losses = bilm.losses(b.char_ids, b.words);
    // Each loss is a mean over the batch's predictions, n + 1 per sentence in each direction.
    const double count = static_cast<double>(b.tokens + some.size());
    forward += losses.forward.item() * count;
    backward += losses.backward.item() * count;
    predictions += count;
  }
  return {std::exp(forward / predictions), std::exp(backward / predictions)};
}

}  // namespace tg::examples::elmo
