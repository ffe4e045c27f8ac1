#pragma once
// Sentence pairs from a tab-separated file: `source<TAB>target[<TAB>anything]` a line, the
// Tatoeba / manythings.org format (d2l's fra-eng).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tg::data {

/// Source and target sentences, `source[i]` translated by `target[i]`. The narrow and the plain
/// no-break space (U+202F, U+00A0) become a plain space, as d2l's `preprocess_nmt`; a trailing '\r'
/// is dropped.
///
///     auto pairs = tg::data::ParallelCorpus::from_file("fra.txt", /*max_pairs=*/600);
///     pairs.source[0];   // "Go."
struct ParallelCorpus {
  std::vector<std::string> source;
  std::vector<std::string> target;

  std::size_t size() const { return source.size(); }

  /// Parses TSV text; `name` stands for the file in errors. Throws IoError naming file, line and
  /// byte offset for invalid UTF-8, a line without a tab, an empty field, or no pairs at all.
  /// `max_pairs` > 0 stops after that many pairs.
  static ParallelCorpus parse(std::string_view text, std::string_view name, std::size_t max_pairs = 0);
  static ParallelCorpus from_file(const std::string& path, std::size_t max_pairs = 0);
};

/// `text` with U+202F and U+00A0 replaced by ' '.
std::string normalize_spaces(std::string_view text);

}  // namespace tg::data
