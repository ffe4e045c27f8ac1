#pragma once
// ELMo's character ids, exactly as AllenNLP's ELMoCharacterMapper and batch_to_ids: each token is
// 50 ids, its UTF-8 bytes and five special characters, all shifted by one so that 0 can mean
// "no token here" (padding of a batch).
#include "autograd/xt.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tg::data {

/// The constants of AllenNLP's ELMoCharacterMapper, before the +1 shift: bytes are 0-255, then
/// begin/end of sentence, begin/end of word and padding. The published models embed 262 rows:
/// 0 (masked) and 1 + these 261.
struct ElmoChars {
  static constexpr std::size_t kMaxWordLength = 50;
  static constexpr Index kBeginOfSentence = 256;
  static constexpr Index kEndOfSentence = 257;
  static constexpr Index kBeginOfWord = 258;
  static constexpr Index kEndOfWord = 259;
  static constexpr Index kPadding = 260;
  static constexpr std::size_t kNumCharacters = 262;
  /// Tokens that stand for the sentence boundaries, as AllenNLP's bos_token / eos_token.
  static constexpr std::string_view kBosToken = "<S>";
  static constexpr std::string_view kEosToken = "</S>";
};

/// The 50 ids of one token: [begin-of-word, bytes..., end-of-word, padding...] + 1. Words longer
/// than 48 bytes keep their first 48 bytes (cut at a byte, as AllenNLP, even inside a multi-byte
/// character). "<S>" and "</S>" give the sentence boundary tokens' ids.
///
///     tg::IndexArray ids = tg::data::elmo_char_ids("hi");   // {259, 105, 106, 260, 261, 261, ...}
IndexArray elmo_char_ids(std::string_view word);

/// A batch of tokenised sentences as (N, T, 50) ids, T the longest sentence; the positions after a
/// sentence's end are all 0, as AllenNLP's batch_to_ids. Throws ValueError on an empty batch.
///
///     tg::IndexArray ids = tg::data::elmo_batch_to_ids({{"The", "cat"}, {"Hi"}});   // (2, 2, 50)
IndexArray elmo_batch_to_ids(const std::vector<std::vector<std::string>>& sentences);

/// Ids with the sentence boundaries added, and which positions hold a token.
struct BoundedIds {
  IndexArray ids;  // (N, T + 2, ...)
  Mask mask;       // (N, T + 2)
};

/// AllenNLP's add_sentence_boundary_token_ids: a token is present where any of its ids is non-zero
/// (for (N, T) ids: where the id is non-zero); each sentence of length n gets `begin` at position 0,
/// its tokens at 1..n and `end` at n + 1; the rest stays 0. `begin` and `end` have the shape of one
/// token (() for (N, T) ids, (50) for (N, T, 50)). The tokens of a sentence must come first: a
/// present token after an absent one is a ValueError naming the sentence and position.
///
///     auto b = tg::data::add_sentence_boundaries(ids, tg::data::elmo_char_ids("<S>"),
///                                                tg::data::elmo_char_ids("</S>"));
BoundedIds add_sentence_boundaries(const IndexArray& ids, const IndexArray& begin, const IndexArray& end);

/// add_sentence_boundaries with ELMo's <S> and </S> character ids, for (N, T, 50) ids.
BoundedIds add_elmo_sentence_boundaries(const IndexArray& char_ids);

/// (N, T) ids or (N, T, 50) character ids -> (N, T) mask of the positions that hold a token.
/// (nn::remove_sentence_boundaries takes the boundaries off the features computed from the ids.)
Mask token_mask(const IndexArray& ids);

}  // namespace tg::data
