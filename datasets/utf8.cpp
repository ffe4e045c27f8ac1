#include "datasets/utf8.hpp"

#include "autograd/error.hpp"

namespace tg::data {
namespace {

// Checks one sequence at `pos`; returns its length, or 0 with `reason` set.
std::size_t check_sequence(std::string_view text, std::size_t pos, std::string& reason) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  std::size_t length;
  char32_t min_value;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, min_value = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, min_value = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, min_value = 0x10000;
  else {
    reason = lead < 0xC0 ? fmt::format("unexpected continuation byte 0x{:02X}", lead)
                         : fmt::format("invalid lead byte 0x{:02X}", lead);
    return 0;
  }
  if (pos + length > text.size()) {
    reason = fmt::format("truncated {}-byte sequence (lead byte 0x{:02X})", length, lead);
    return 0;
  }
  char32_t value = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      reason = fmt::format("byte 0x{:02X} after lead byte 0x{:02X} is not a continuation byte", byte(pos + i), lead);
      return 0;
    }
    value = (value << 6) | (byte(pos + i) & 0x3F);
  }
  if (value < min_value) reason = fmt::format("overlong encoding of U+{:04X}", static_cast<std::uint32_t>(value));
  else if (value >= 0xD800 && value <= 0xDFFF) reason = fmt::format("encoded surrogate U+{:04X}", static_cast<std::uint32_t>(value));
  else if (value > 0x10FFFF) reason = fmt::format("code point U+{:X} above U+10FFFF", static_cast<std::uint32_t>(value));
  return reason.empty() ? length : 0;
}

}  // namespace

std::optional<Utf8Error> find_utf8_error(std::string_view text) {
  std::string reason;
  for (std::size_t pos = 0; pos < text.size();) {
    // ASCII fast path: the English corpora are pure ASCII.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = check_sequence(text, pos, reason);
    if (length == 0) return Utf8Error{pos, reason};
    pos += length;
  }
  return std::nullopt;
}

std::size_t utf8_char_length(std::string_view text, std::size_t pos, std::string_view what) {
  std::string reason;
  const std::size_t length = check_sequence(text, pos, reason);
  if (length == 0) fail<ValueError>("{}: invalid UTF-8 at byte offset {}: {}", what, pos, reason);
  return length;
}

CodePoint decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) value = (value << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  return {value, length};
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace tg::data
