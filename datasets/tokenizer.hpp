#pragma once
// Tokenizers: text -> tokens (strings), as d2l's `tokenize(lines, 'char' | 'word')`, with a normalizer.
#include <string>
#include <string_view>
#include <vector>

namespace tg::data {

/// What a token is: one Unicode code point, or one whitespace-separated word.
enum class TokenLevel { Char, Word };

/// How text is cleaned before it is split.
enum class Normalizer {
  Keep,         ///< bytes as they are (newlines become char tokens)
  Lower,        ///< lower-cased: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals
  TimeMachine,  ///< d2l: per line `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`, lines concatenated
  Translation,  ///< d2l's `preprocess_nmt`: no-break spaces to ' ', lower-cased, a space before , . ! ?
};

/// Applies `normalizer` to `text`. TimeMachine works line by line and, as d2l's flattened per-line
/// char tokens, joins the lines with nothing between them; Tokenizer keeps word boundaries at line ends.
///
///     normalize("The Time-Machine!\n", Normalizer::TimeMachine) == "the time machine"
std::string normalize(std::string_view text, Normalizer normalizer);

/// Lower case of one code point (identity where no simple mapping is known).
char32_t lower_code_point(char32_t c);

/// Splits UTF-8 text into tokens. Invalid UTF-8 throws ValueError with the byte offset.
///
///     tg::data::Tokenizer chars(tg::data::TokenLevel::Char, tg::data::Normalizer::TimeMachine);
///     auto tokens = chars.tokenize(text);             // {"t", "h", "e", " ", ...}
///     std::string back = chars.detokenize(tokens);
class Tokenizer {
 public:
  explicit Tokenizer(TokenLevel level = TokenLevel::Char, Normalizer normalizer = Normalizer::Keep)
      : level_(level), normalizer_(normalizer) {}

  std::vector<std::string> tokenize(std::string_view text) const;
  /// Char tokens are concatenated, word tokens joined with one space.
  std::string detokenize(const std::vector<std::string>& tokens) const;

  TokenLevel level() const { return level_; }
  Normalizer normalizer() const { return normalizer_; }

 private:
  void split(std::string_view text, std::vector<std::string>& out) const;

  TokenLevel level_;
  Normalizer normalizer_;
};

}  // namespace tg::data
