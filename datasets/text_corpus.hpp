#pragma once
// A plain-text corpus as a token-id stream, as d2l's `load_corpus_time_machine`.
#include "datasets/tokenizer.hpp"
#include "datasets/vocab.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tg::data {

/// Text -> tokens -> ids, with the vocab built from all of the text (or given, e.g. from a checkpoint).
///
///     auto corpus = tg::data::TextCorpus::from_file(
///         path, tg::data::Tokenizer(tg::data::TokenLevel::Char, tg::data::Normalizer::TimeMachine));
///     corpus.vocab.size();   // 28 for d2l's Time Machine
///     corpus.ids;            // the token stream for seq_data_iter_*
struct TextCorpus {
  Tokenizer tokenizer;
  Vocab vocab;
  std::vector<Index> ids;

  /// `max_tokens` > 0 keeps the first max_tokens ids (the vocab still counts all tokens, as d2l).
  static TextCorpus from_text(std::string_view text, const Tokenizer& tokenizer, const VocabOptions& options = {},
                              std::size_t max_tokens = 0);
  static TextCorpus from_text(std::string_view text, const Tokenizer& tokenizer, Vocab vocab,
                              std::size_t max_tokens = 0);
  /// Reads `path` (UTF-8; IoError with file, line and byte offset if it is not, or if it is empty).
  static TextCorpus from_file(const std::string& path, const Tokenizer& tokenizer, const VocabOptions& options = {},
                              std::size_t max_tokens = 0);
};

}  // namespace tg::data
