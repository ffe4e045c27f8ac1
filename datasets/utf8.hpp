#pragma once
// UTF-8 decoding for the tokenizers and corpora: a character token is one code point, and text is
// validated once, on reading, so that later stages can split it without checks.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tg::data {

/// Where and why a byte string stops being valid UTF-8.
struct Utf8Error {
  std::size_t offset = 0;  ///< byte offset of the first byte of the bad sequence
  std::string reason;      ///< e.g. "unexpected continuation byte 0x80"
};

/// The first encoding error in `text`, or nullopt if it is valid UTF-8 (RFC 3629: no overlong forms,
/// no surrogates, nothing above U+10FFFF).
///
///     if (auto e = tg::data::find_utf8_error(bytes)) std::cerr << e->offset << ": " << e->reason;
std::optional<Utf8Error> find_utf8_error(std::string_view text);

/// Length in bytes of the code point starting at `text[pos]`; throws ValueError (naming `what` and
/// the byte offset) if the bytes there are not valid UTF-8.
std::size_t utf8_char_length(std::string_view text, std::size_t pos, std::string_view what = "utf8");

/// The code point starting at `text[pos]` (which must be valid) and its length in bytes.
struct CodePoint {
  char32_t value;
  std::size_t length;
};
CodePoint decode_utf8(std::string_view text, std::size_t pos);

/// Appends the UTF-8 encoding of `c` to `out`.
void append_utf8(std::string& out, char32_t c);

}  // namespace tg::data
