#pragma once
// BLEU (Papineni et al., 2002) of tokenized text: d2l's sentence BLEU and corpus BLEU as NLTK's
// corpus_bleu.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tg::data {

using Tokens = std::vector<std::string>;

/// `text` split at runs of spaces, tabs and newlines ("" gives no tokens).
Tokens split_tokens(std::string_view text);

/// d2l's BLEU of one prediction against one reference: the brevity penalty exp(min(0, 1 - len_ref /
/// len_pred)) times, for n = 1 .. min(k, len_pred), the clipped n-gram precision p_n to the power
/// 1/2^n. An empty prediction scores 0.
///
///     tg::data::bleu("il est riche .", "il est calme .", 2);   // 0.658
double bleu(std::string_view prediction, std::string_view reference, std::size_t k);
double bleu(const Tokens& prediction, const Tokens& reference, std::size_t k);

/// Corpus BLEU-max_n as nltk.translate.bleu_score.corpus_bleu with uniform weights and no smoothing:
/// clipped n-gram matches and n-gram counts summed over the corpus (a hypothesis shorter than n
/// counts 1, as NLTK's), the brevity penalty from the summed lengths, each hypothesis taking the
/// reference length closest to its own (the shorter on a tie). 0 when some order has no match (NLTK
/// gives a number below 1e-70 there) or the hypotheses are all empty; never a division by zero.
/// `references[i]` holds one or more references of `hypotheses[i]`.
///
///     double score = tg::data::corpus_bleu({split_tokens("the cat sat")}, {{split_tokens("the cat sat down")}});
double corpus_bleu(const std::vector<Tokens>& hypotheses, const std::vector<std::vector<Tokens>>& references,
                   std::size_t max_n = 4);

}  // namespace tg::data
