#include "datasets/elmo_chars.hpp"

#include "autograd/error.hpp"

#include <algorithm>

namespace tg::data {

namespace {

// One token's ids before the +1 shift: begin-of-word, `chars`, end-of-word, padding.
IndexArray word_ids(const std::vector<Index>& chars) {
  IndexArray ids = xt::zeros<Index>({ElmoChars::kMaxWordLength});
  ids.fill(ElmoChars::kPadding + 1);
  ids(0) = ElmoChars::kBeginOfWord + 1;
  for (std::size_t k = 0; k < chars.size(); ++k) ids(k + 1) = chars[k] + 1;
  ids(chars.size() + 1) = ElmoChars::kEndOfWord + 1;
  return ids;
}

// Rows of (N, T, ...) ids as (N, T, K) with K ids per token.
std::size_t ids_per_token(const IndexArray& ids, const char* what) {
  if (ids.dimension() < 2 || ids.shape()[0] == 0)
    fail<ShapeError>("{}: ids of shape {} must be (N, T) or (N, T, chars) with N > 0", what, shape_str(ids.shape()));
  std::size_t k = 1;
  for (std::size_t d = 2; d < ids.dimension(); ++d) k *= ids.shape()[d];
  return k;
}

}  // namespace

IndexArray elmo_char_ids(std::string_view word) {
  if (word == ElmoChars::kBosToken) return word_ids({ElmoChars::kBeginOfSentence});
  if (word == ElmoChars::kEosToken) return word_ids({ElmoChars::kEndOfSentence});
  // Bytes, not code points: AllenNLP cuts word.encode("utf-8")[:48].
  const std::size_t n = std::min(word.size(), ElmoChars::kMaxWordLength - 2);
  std::vector<Index> bytes(n);
  for (std::size_t k = 0; k < n; ++k) bytes[k] = static_cast<unsigned char>(word[k]);
  return word_ids(bytes);
}

IndexArray elmo_batch_to_ids(const std::vector<std::vector<std::string>>& sentences) {
  if (sentences.empty()) fail<ValueError>("elmo_batch_to_ids: the batch has no sentences");
  std::size_t longest = 0;
  for (const auto& s : sentences) longest = std::max(longest, s.size());
  IndexArray ids = xt::zeros<Index>({sentences.size(), longest, ElmoChars::kMaxWordLength});
  for (std::size_t n = 0; n < sentences.size(); ++n)
    for (std::size_t t = 0; t < sentences[n].size(); ++t)
      xt::view(ids, n, t, xt::all()) = elmo_char_ids(sentences[n][t]);
  return ids;
}

Mask token_mask(const IndexArray& ids) {
  const std::size_t k = ids_per_token(ids, "token_mask");
  const std::size_t n = ids.shape()[0], steps = ids.shape()[1];
  Mask mask = xt::zeros<bool>({n, steps});
  const Index* p = ids.data();
  for (std::size_t i = 0; i < n * steps; ++i)
    mask.data()[i] = std::any_of(p + i * k, p + (i + 1) * k, [](Index id) { return id != 0; });
  return mask;
}

BoundedIds add_sentence_boundaries(const IndexArray& ids, const IndexArray& begin, const IndexArray& end) {
  const std::size_t k = ids_per_token(ids, "add_sentence_boundaries");
  if (begin.size() != k || end.size() != k)
    fail<ShapeError>("add_sentence_boundaries: begin {} and end {} must have {} ids, one token of ids {}",
                     shape_str(begin.shape()), shape_str(end.shape()), k, shape_str(ids.shape()));
  const std::size_t n = ids.shape()[0], steps = ids.shape()[1];
  const Mask present = token_mask(ids);
  auto shape = ids.shape();
  shape[1] = steps + 2;
  BoundedIds out{xt::zeros<Index>(shape), xt::zeros<bool>({n, steps + 2})};
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t length = 0;
    while (length < steps && present(i, length)) ++length;
    for (std::size_t t = length; t < steps; ++t)
      if (present(i, t))
        fail<ValueError>("add_sentence_boundaries: sentence {} has a token at position {} after padding at {}; "
                         "the tokens of a sentence must come first", i, t, length);
    Index* row = out.ids.data() + i * (steps + 2) * k;
    std::copy(begin.data(), begin.data() + k, row);
    std::copy(ids.data() + i * steps * k, ids.data() + (i * steps + length) * k, row + k);
    std::copy(end.data(), end.data() + k, row + (length + 1) * k);
    for (std::size_t t = 0; t < length + 2; ++t) out.mask(i, t) = true;
  }
  return out;
}

BoundedIds add_elmo_sentence_boundaries(const IndexArray& char_ids) {
  if (char_ids.dimension() != 3 || char_ids.shape()[2] != ElmoChars::kMaxWordLength)
    fail<ShapeError>("add_elmo_sentence_boundaries: character ids of shape {} must be (N, T, {})",
                     shape_str(char_ids.shape()), ElmoChars::kMaxWordLength);
  return add_sentence_boundaries(char_ids, elmo_char_ids(ElmoChars::kBosToken), elmo_char_ids(ElmoChars::kEosToken));
}

}  // namespace tg::data
