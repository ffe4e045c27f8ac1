#pragma once
// Pretraining an ELMo biLM on a text file: its sentences, the biLM's batches and held-out perplexities.
#include <tapegrad.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tg::examples::elmo {

using Sentence = std::vector<std::string>;

/// One sentence a non-empty line: the first tab-separated column (the English side of fra.txt),
/// lower-cased with a space before , . ! ? (d2l's preprocess_nmt), split at spaces; sentences longer
/// than `max_words` are cut there, so that one long line does not make a batch wide.
///
///     auto sentences = tg::examples::elmo::read_sentences("Go.\tVa !\nRun!\tCours !\n", 20);   // {{"go", "."}, ...}
std::vector<Sentence> read_sentences(std::string_view text, std::size_t max_words);

/// The softmax's words: <unk> 0, <S> 1, </S> 2, then the words seen at least min_freq times.
data::Vocab bilm_vocab(const std::vector<Sentence>& sentences, std::size_t min_freq);

/// What ElmoBiLm::loss takes for some sentences: character ids with <S>/</S> (N, T + 2, 50) and the
/// word ids (N, T + 2) they predict; `tokens` counts the words.
struct BiLmBatch {
  IndexArray char_ids;
  IndexArray words;
  std::size_t tokens = 0;
};
BiLmBatch make_batch(const std::vector<Sentence>& sentences, const data::Vocab& vocab);

/// Held-out perplexities, exp of each direction's mean cross-entropy per prediction (every word and
/// </S> forward, every word and <S> backward), over all of `sentences` in batches of `batch_size`.
struct Perplexities {
  double forward = 0, backward = 0;
};
Perplexities evaluate(nn::ElmoBiLm& bilm, const std::vector<Sentence>& sentences, const data::Vocab& vocab,
                      std::size_t batch_size);

/// `options` as AllenNLP's options.json, which nn::elmo_options_from_json reads back (the
/// vocabulary size is not in it: it is vocab.txt's).
std::string options_json(const nn::ElmoOptions& options);

/// A pretrained biLM from a folder `elmo pretrain` wrote: options.json, vocab.txt and model.npz.
std::shared_ptr<nn::ElmoBiLm> load_pretrained(const std::string& dir);

/// Each token's nearest other tokens by cosine similarity of `vectors` (one row per token, in
/// reading order) centred on their mean: for token i, up to k (index, cosine) pairs, the most
/// similar first.
std::vector<std::vector<std::pair<std::size_t, double>>> nearest_neighbours(const xt::xtensor<float, 2>& vectors,
                                                                         std::size_t k);

/// The downstream task: restoring punctuation. A sentence without its , . ? ! tokens, and for each
/// remaining word the punctuation that followed it: 0 none, 1 ",", 2 ".", 3 "?", 4 "!".
///
///     auto t = tg::examples::elmo::punctuation_task({"no", ",", "thanks", "."});   // {"no", "thanks"}, {1, 2}
struct PunctuatedSentence {
  Sentence words;
  std::vector<Index> labels;
};
inline constexpr std::size_t kPunctuationClasses = 5;
PunctuatedSentence punctuation_task(const Sentence& sentence);

}  // namespace tg::examples::elmo
