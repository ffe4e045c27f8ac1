#pragma once
// Reading corpus files: whole, validated UTF-8, with errors that say where (file, line, byte offset).
#include <cstddef>
#include <string>
#include <string_view>

namespace tg::data {

/// The bytes of `path`, checked to be non-empty, valid UTF-8. Throws IoError naming `what` (the
/// caller, e.g. "ParallelCorpus"), the file, the 1-based line and the byte offset of the problem:
///
///     std::string text = tg::data::read_utf8_file("data/timemachine.txt", "TextCorpus");
std::string read_utf8_file(const std::string& path, std::string_view what);

/// Checks that `text` is valid UTF-8, else throws IoError as read_utf8_file does (`name` stands for
/// the file).
void check_utf8(std::string_view text, std::string_view name, std::string_view what);

/// 1-based line number of byte `offset` of `text`.
std::size_t line_of_offset(std::string_view text, std::size_t offset);

}  // namespace tg::data
