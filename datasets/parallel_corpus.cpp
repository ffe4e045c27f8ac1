#include "datasets/parallel_corpus.hpp"

#include "autograd/error.hpp"
#include "datasets/text_file.hpp"

namespace tg::data {
namespace {

constexpr std::string_view kWhat = "ParallelCorpus";

}  // namespace

std::string normalize_spaces(std::string_view text) {
  static constexpr std::string_view kNarrowNbsp = "\xE2\x80\xAF", kNbsp = "\xC2\xA0";
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    if (text.substr(pos, 3) == kNarrowNbsp) {
      out += ' ';
      pos += 3;
    } else if (text.substr(pos, 2) == kNbsp) {
      out += ' ';
      pos += 2;
    } else {
      out += text[pos++];
    }
  }
  return out;
}

ParallelCorpus ParallelCorpus::parse(std::string_view text, std::string_view name, std::size_t max_pairs) {
  if (text.empty()) fail<IoError>("{}: {}: empty file", kWhat, name);
  check_utf8(text, name, kWhat);
  ParallelCorpus corpus;
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < text.size() && (max_pairs == 0 || corpus.size() < max_pairs);) {
    ++line_number;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      fail<IoError>("{}: {}:{}: line at byte offset {} has no tab (expected source<TAB>target): '{:.60}'", kWhat,
                    name, line_number, start, line);
    const std::size_t tab2 = line.find('\t', tab + 1);
    const std::string_view source = line.substr(0, tab);
    const std::string_view target = line.substr(tab + 1, tab2 == std::string_view::npos ? tab2 : tab2 - tab - 1);
    if (source.empty() || target.empty())
      fail<IoError>("{}: {}:{}: line at byte offset {} has an empty {} field", kWhat, name, line_number, start,
                    source.empty() ? "source" : "target");
    corpus.source.push_back(normalize_spaces(source));
    corpus.target.push_back(normalize_spaces(target));
    start = end + 1;
  }
  return corpus;
}

ParallelCorpus ParallelCorpus::from_file(const std::string& path, std::size_t max_pairs) {
  return parse(read_utf8_file(path, kWhat), path, max_pairs);
}

}  // namespace tg::data
