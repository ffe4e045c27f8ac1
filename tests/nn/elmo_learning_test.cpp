// Does the biLM learn, and do its contextual layers carry what a tagger needs? A small stochastic
// grammar whose words "fish" and "duck" are both nouns and verbs:
//   S  -> NP VT NP (1/2) | NP VI (1/2)       NP -> DET N (3/5) | DET ADJ N (2/5)
// every word of a category equally likely. It has finitely many sentences, so its true entropy
// rate (nats per predicted token, </S> included) is computed exactly by enumerating them. A small
// biLM trained on fresh samples must reach forward and backward held-out perplexities within 10% of
// exp(entropy rate). Then a tagger on frozen biLM features mixed by ScalarMix must tag the ambiguous
// words >= 98% right; the same tagger on layer 0 (the context-free token encoding) is the control:
// it can only guess each word's more frequent tag, about 60%.
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo.hpp>
#include <optim/optim.hpp>

#include <cmath>
#include <algorithm>
#include <functional>
#include <map>
#include <random>

namespace tg::nn {
namespace {

enum Tag : Index { kDet, kAdj, kNoun, kVerb };

struct Category {
  Tag tag;
  std::vector<std::string> words;
};
const Category kDets{kDet, {"the", "a"}};
const Category kAdjs{kAdj, {"big", "old"}};
const Category kNouns{kNoun, {"dog", "cat", "fish", "duck"}};
const Category kTransitive{kVerb, {"sees", "likes", "fish", "duck"}};
const Category kIntransitive{kVerb, {"sleeps", "runs", "fish", "duck"}};

bool ambiguous(const std::string& word) { return word == "fish" || word == "duck"; }

/// The grammar as the sentence templates it expands to, each with its probability.
std::vector<std::pair<std::vector<const Category*>, double>> templates() {
  const std::vector<std::pair<std::vector<const Category*>, double>> nps = {{{&kDets, &kNouns}, 0.6},
                                                                            {{&kDets, &kAdjs, &kNouns}, 0.4}};
  std::vector<std::pair<std::vector<const Category*>, double>> out;
  for (const auto& [subject, ps] : nps) {
    auto intransitive = subject;
    intransitive.push_back(&kIntransitive);
    out.emplace_back(intransitive, 0.5 * ps);
    for (const auto& [object, po] : nps) {
      auto transitive = subject;
      transitive.push_back(&kTransitive);
      transitive.insert(transitive.end(), object.begin(), object.end());
      out.emplace_back(transitive, 0.5 * ps * po);
    }
  }
  return out;
}

struct Sentence {
  std::vector<std::string> words;
  std::vector<Index> tags;
};

/// Sum of p(sentence) over every derivation of each word sequence (so a sequence derived two ways
/// counts once), then H = -sum p log p over sequences; the rate divides by the expected number of
/// predictions per sentence, n + 1 (the words and </S>; <S> is always first, so the backward
/// direction's extra prediction costs nothing and both directions share the rate).
double entropy_rate() {
  std::map<std::vector<std::string>, double> probability;
  for (const auto& [categories, p] : templates()) {
    std::vector<std::pair<std::vector<std::string>, double>> partial = {{{}, p}};
    for (const Category* category : categories) {
      std::vector<std::pair<std::vector<std::string>, double>> next;
      for (const auto& [words, q] : partial)
        for (const std::string& word : category->words) {
          auto longer = words;
          longer.push_back(word);
          next.emplace_back(std::move(longer), q / static_cast<double>(category->words.size()));
        }
      partial = std::move(next);
    }
    for (const auto& [words, q] : partial) probability[words] += q;
  }
  double entropy = 0, predictions = 0;
  for (const auto& [words, p] : probability) {
    entropy -= p * std::log(p);
    predictions += p * static_cast<double>(words.size() + 1);
  }
  return entropy / predictions;
}

class Grammar {
 public:
  explicit Grammar(unsigned seed) : random_(seed) {
    for (const auto& [categories, p] : templates()) {
      templates_.push_back(categories);
      weights_.push_back(p);
    }
  }
  Sentence sample() {
    std::discrete_distribution<std::size_t> pick_template(weights_.begin(), weights_.end());
    Sentence s;
    for (const Category* category : templates_[pick_template(random_)]) {
      std::uniform_int_distribution<std::size_t> pick_word(0, category->words.size() - 1);
      s.words.push_back(category->words[pick_word(random_)]);
      s.tags.push_back(category->tag);
    }
    return s;
  }
  std::vector<Sentence> sample(std::size_t n) {
    std::vector<Sentence> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(sample());
    return out;
  }

 private:
  std::mt19937 random_;
  std::vector<std::vector<const Category*>> templates_;
  std::vector<double> weights_;
};

/// The batch as the biLM takes it: character ids with <S>/</S>, word ids (<S> = 0, </S> = 1) and
/// tags (N, T) of the words without the boundaries (padding is outside the features' mask).
struct Batch {
  data::BoundedIds chars;
  IndexArray words, tags;
  Mask is_ambiguous;
};

class Vocabulary {
 public:
  Vocabulary() {
    for (const char* word : {"<S>", "</S>"}) id(word);
    for (const Category* c : {&kDets, &kAdjs, &kNouns, &kTransitive, &kIntransitive})
      for (const std::string& word : c->words) id(word);
  }
  Index id(const std::string& word) { return ids_.emplace(word, static_cast<Index>(ids_.size())).first->second; }
  std::size_t size() const { return ids_.size(); }

  Batch batch(const std::vector<Sentence>& sentences) {
    std::vector<std::vector<std::string>> words;
    std::size_t longest = 0;
    for (const Sentence& s : sentences) {
      words.push_back(s.words);
      longest = std::max(longest, s.words.size());
    }
    const std::size_t n_sentences = sentences.size();
    Batch b{data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(words)),
            xt::zeros<Index>({n_sentences, longest + 2}), xt::zeros<Index>({n_sentences, longest}),
            xt::zeros<bool>({n_sentences, longest})};
    for (std::size_t n = 0; n < sentences.size(); ++n) {
      const Sentence& s = sentences[n];
      b.words(n, 0) = id("<S>");
      for (std::size_t t = 0; t < s.words.size(); ++t) {
        b.words(n, t + 1) = id(s.words[t]);
        b.tags(n, t) = s.tags[t];
        b.is_ambiguous(n, t) = ambiguous(s.words[t]);
      }
      b.words(n, s.words.size() + 1) = id("</S>");
    }
    return b;
  }

 private:
  std::map<std::string, Index> ids_;
};

ElmoOptions small_bilm(std::size_t vocab_size) {
  ElmoOptions o;
  o.char_cnn = ElmoCharEncoderOptions().embedding_dim(8).filters({{1, 16}, {2, 16}, {3, 16}}).n_highway(1).projection_dim(16);
  o.lstm = ElmoLstmOptions().dim(32).projection_dim(16).n_layers(2);
  return o.vocab_size(vocab_size);
}

/// Per-token features (N, T, D) of a batch and their mask.
using Features = std::function<std::pair<Tensor, Mask>(const IndexArray& char_ids)>;

/// A two-layer perceptron over the features; `features_module` (the ScalarMix's owner, or null)
/// trains with it.
struct Tagger : Module {
  Tagger(std::size_t in, std::shared_ptr<Module> features_module) : Module("Tagger") {
    if (features_module) register_module("features", std::move(features_module));
    hidden = register_module("hidden", std::make_shared<Linear>(in, 32));
    out = register_module("out", std::make_shared<Linear>(32, 4));
  }
  Tensor forward(const Tensor& x) { return out->forward(tanh(hidden->forward(x))); }
  std::shared_ptr<Linear> hidden, out;
};

/// Trains a tagger on fresh sentences and returns its accuracy on the ambiguous words of `test`.
double ambiguous_word_accuracy(const Features& features, std::size_t width, std::shared_ptr<Module> mix,
                               Vocabulary& vocabulary, Grammar& grammar, const Batch& test) {
  manual_seed(1);
  auto tagger = std::make_shared<Tagger>(width, std::move(mix));
  optim::Adam adam(tagger->named_parameters(), optim::AdamOptions(0.01));
  for (int step = 0; step < 150; ++step) {
    Batch b = vocabulary.batch(grammar.sample(32));
    auto [x, mask] = features(b.chars.ids);
    Tensor loss = cross_entropy(tagger->forward(x), b.tags, CrossEntropyOptions().with_mask(mask));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  NoGradGuard no_grad;
  const xt::xarray<float> logits = tagger->forward(features(test.chars.ids).first).data<float>();
  double right = 0, total = 0;
  for (std::size_t n = 0; n < test.tags.shape(0); ++n)
    for (std::size_t t = 0; t < test.tags.shape(1); ++t)
      if (test.is_ambiguous(n, t)) {
        const auto scores = xt::view(logits, n, t, xt::all());
        ++total;
        right += static_cast<Index>(std::max_element(scores.begin(), scores.end()) - scores.begin()) == test.tags(n, t);
      }
  return right / total;
}

TEST(ElmoLearning, BiLmReachesTheEntropyRateAndItsLayersTagAmbiguousWords) {
  const double rate = entropy_rate();
  const double true_perplexity = std::exp(rate);
  Vocabulary vocabulary;
  Grammar grammar(7);
  const Batch held_out = vocabulary.batch(Grammar(8).sample(512));

  manual_seed(0);
  auto bilm = std::make_shared<ElmoBiLm>(small_bilm(vocabulary.size()));
  // Held-out perplexities (forward, backward).
  auto perplexities = [&] {
    NoGradGuard no_grad;
    BiLmLosses losses = bilm->losses(held_out.chars.ids, held_out.words);
    return std::make_pair(std::exp(losses.forward.item()), std::exp(losses.backward.item()));
  };
  // The control: untrained, the same check fails (perplexity about the vocabulary's size).
  const auto [untrained_forward, untrained_backward] = perplexities();
  EXPECT_GT(untrained_forward, 1.1 * true_perplexity);
  EXPECT_GT(untrained_backward, 1.1 * true_perplexity);

  optim::Adam adam(bilm->named_parameters(), optim::AdamOptions(0.01));
  for (int step = 0; step < 300; ++step) {
    Batch b = vocabulary.batch(grammar.sample(32));
    Tensor loss = bilm->loss(b.chars.ids, b.words);
    adam.zero_grad();
    loss.backward();
    optim::clip_grad_norm(bilm->named_parameters(), 1.0);
    adam.step();
  }
  const auto [forward_perplexity, backward_perplexity] = perplexities();
  std::printf("entropy rate %.4f nats, true perplexity %.3f; held-out perplexity forward %.4f, backward %.4f "
              "(untrained %.2f, %.2f)\n",
              rate, true_perplexity, forward_perplexity, backward_perplexity, untrained_forward, untrained_backward);
  EXPECT_LT(std::abs(forward_perplexity / true_perplexity - 1), 0.1);
  EXPECT_LT(std::abs(backward_perplexity / true_perplexity - 1), 0.1);

  const Batch test = vocabulary.batch(Grammar(9).sample(256));
  auto elmo = std::make_shared<Elmo>(bilm, ElmoMixOptions().dropout(0));
  const double mixed = ambiguous_word_accuracy(
      [&](const IndexArray& ids) {
        ElmoOutput out = elmo->forward(ids);
        return std::make_pair(out.elmo_representations[0], out.mask);
      },
      bilm->output_dim(), elmo, vocabulary, grammar, test);
  const double layer0 = ambiguous_word_accuracy(
      [&](const IndexArray& ids) {
        ElmoBiLmOutput out = bilm->forward(ids);
        return remove_sentence_boundaries(out.activations[0], out.mask);
      },
      bilm->output_dim(), nullptr, vocabulary, grammar, test);
  std::printf("ambiguous words tagged right: ScalarMix of all layers %.3f, layer 0 alone %.3f\n", mixed, layer0);
  EXPECT_GE(mixed, 0.98);
  EXPECT_LT(layer0, 0.8);
}

}  // namespace
}  // namespace tg::nn
