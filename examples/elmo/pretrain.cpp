#include "elmo/pretrain.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

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

std::string options_json(const nn::ElmoOptions& options) {
  const nn::ElmoLstmOptions& l = options.lstm;
  const nn::ElmoCharEncoderOptions& c = options.char_cnn;
  std::vector<std::string> filters;
  for (const auto& [width, count] : c.filters_) filters.push_back(fmt::format("[{}, {}]", width, count));
  return fmt::format(
      "{{\"lstm\": {{\"dim\": {}, \"projection_dim\": {}, \"n_layers\": {}, \"cell_clip\": {}, \"proj_clip\": {}, "
      "\"use_skip_connections\": {}}},\n \"char_cnn\": {{\"embedding\": {{\"dim\": {}}}, \"filters\": [{}], "
      "\"n_highway\": {}, \"activation\": \"{}\", \"max_characters_per_token\": {}, \"n_characters\": {}}}}}\n",
      l.dim_, l.projection_dim_, l.n_layers_, l.cell_clip_, l.proj_clip_, l.use_skip_connections_, c.embedding_dim_,
      fmt::join(filters, ", "), c.n_highway_, c.activation_ == nn::ElmoActivation::Relu ? "relu" : "tanh",
      c.max_characters_per_token_, c.n_characters_);
}

std::shared_ptr<nn::ElmoBiLm> load_pretrained(const std::string& dir) {
  nn::ElmoOptions options = nn::elmo_options_from_json(dir + "/options.json");
  auto bilm = std::make_shared<nn::ElmoBiLm>(options.vocab_size(data::Vocab::load(dir + "/vocab.txt").size()));
  bilm->load(dir + "/model.npz");
  return bilm;
}

std::vector<std::vector<std::pair<std::size_t, double>>> nearest_neighbours(const xt::xtensor<float, 2>& vectors,
                                                                         std::size_t k) {
  // Centred first: a direction that every token shares would make them all look alike.
  const xt::xtensor<double, 2> raw = xt::cast<double>(vectors);
  const xt::xtensor<double, 2> v = raw - xt::view(xt::mean(raw, {0}), xt::newaxis(), xt::all());
  const xt::xtensor<double, 1> norms = xt::sqrt(xt::sum(v * v, {1})) + 1e-12;
  std::vector<std::vector<std::pair<std::size_t, double>>> out(v.shape(0));
  for (std::size_t i = 0; i < v.shape(0); ++i) {
    for (std::size_t j = 0; j < v.shape(0); ++j)
      if (j != i)
        out[i].emplace_back(j, xt::sum(xt::row(v, i) * xt::row(v, j))() / (norms(i) * norms(j)));
    const std::size_t kept = std::min(k, out[i].size());
    std::partial_sort(out[i].begin(), out[i].begin() + static_cast<std::ptrdiff_t>(kept), out[i].end(),
                      [](const auto& a, const auto& b) { return a.second > b.second; });
    out[i].resize(kept);
  }
  return out;
}

PunctuatedSentence punctuation_task(const Sentence& sentence) {
  static const std::vector<std::string> marks{",", ".", "?", "!"};
  PunctuatedSentence out;
  for (const std::string& token : sentence) {
    const auto mark = std::find(marks.begin(), marks.end(), token);
    if (mark == marks.end()) {
      out.words.push_back(token);
      out.labels.push_back(0);
    } else if (!out.words.empty()) {  // a mark with no word before it has nothing to label
      out.labels.back() = 1 + (mark - marks.begin());
    }
  }
  return out;
}

}  // namespace tg::examples::elmo
