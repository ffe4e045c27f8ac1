#include "datasets/text_file.hpp"

#include "autograd/error.hpp"
#include "datasets/utf8.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace tg::data {

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

void check_utf8(std::string_view text, std::string_view name, std::string_view what) {
  if (auto error = find_utf8_error(text))
    fail<IoError>("{}: {}:{}: invalid UTF-8 at byte offset {}: {}", what, name, line_of_offset(text, error->offset),
                  error->offset, error->reason);
}

std::string read_utf8_file(const std::string& path, std::string_view what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) fail<IoError>("{}: cannot open '{}'", what, path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) fail<IoError>("{}: reading '{}' failed", what, path);
  if (text.empty()) fail<IoError>("{}: {}: empty file", what, path);
  check_utf8(text, path, what);
  return text;
}

}  // namespace tg::data
