#include "datasets/tokenizer.hpp"

#include "datasets/parallel_corpus.hpp"
#include "datasets/utf8.hpp"

#include "autograd/error.hpp"

namespace tg::data {
namespace {

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// re.sub('[^A-Za-z]+', ' ', line).strip().lower()
std::string time_machine_line(std::string_view line) {
  std::string out;
  bool pending_space = false;
  for (char c : line) {
    if (!is_ascii_letter(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += static_cast<char>(c | 0x20);
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      char c = text[pos++];
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
      continue;
    }
    utf8_char_length(text, pos, "normalize(Lower)");
    const CodePoint cp = decode_utf8(text, pos);
    append_utf8(out, lower_code_point(cp.value));
    pos += cp.length;
  }
  return out;
}

// d2l's preprocess_nmt: punctuation becomes its own word unless a space already precedes it.
std::string translation(std::string_view text) {
  const std::string lowered = lower(normalize_spaces(text));
  std::string out;
  out.reserve(lowered.size() + lowered.size() / 8);
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    const char c = lowered[i];
    if (i > 0 && (c == ',' || c == '.' || c == '!' || c == '?') && lowered[i - 1] != ' ') out += ' ';
    out += c;
  }
  return out;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    f(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

char32_t lower_code_point(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;       // Latin-1: À..Þ except ×
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;     // Latin Extended-A pairs Ā/ā ..
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;     // .. Ŋ/ŋ to Ŷ/ŷ, incl. Œ/œ
  if (c == 0x178) return 0xFF;                                  // Ÿ
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;    // Greek capitals
  if (c >= 0x400 && c <= 0x40F) return c + 80;                  // Cyrillic Ѐ..Џ
  if (c >= 0x410 && c <= 0x42F) return c + 32;                  // Cyrillic А..Я
  return c;
}

std::string normalize(std::string_view text, Normalizer normalizer) {
  switch (normalizer) {
    case Normalizer::Keep:
      return std::string(text);
    case Normalizer::Lower:
      return lower(text);
    case Normalizer::Translation:
      return translation(text);
    case Normalizer::TimeMachine: {
      std::string out;
      for_each_line(text, [&](std::string_view line) { out += time_machine_line(line); });
      return out;
    }
  }
  return std::string(text);
}

void Tokenizer::split(std::string_view text, std::vector<std::string>& out) const {
  if (level_ == TokenLevel::Char) {
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t length = utf8_char_length(text, pos, "Tokenizer(Char)");
      out.emplace_back(text.substr(pos, length));
      pos += length;
    }
    return;
  }
  if (auto error = find_utf8_error(text))
    fail<ValueError>("Tokenizer(Word): invalid UTF-8 at byte offset {}: {}", error->offset, error->reason);
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    if (pos > start) out.emplace_back(text.substr(start, pos - start));
  }
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  if (normalizer_ == Normalizer::TimeMachine) {
    // Line by line, so that words at the end of one line and the start of the next stay apart.
    for_each_line(text, [&](std::string_view line) { split(time_machine_line(line), tokens); });
  } else {
    split(normalize(text, normalizer_), tokens);
  }
  return tokens;
}

std::string Tokenizer::detokenize(const std::vector<std::string>& tokens) const {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (level_ == TokenLevel::Word && i > 0) out += ' ';
    out += tokens[i];
  }
  return out;
}

}  // namespace tg::data
