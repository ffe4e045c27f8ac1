#include "datasets/vocab.hpp"

#include "autograd/error.hpp"
#include "datasets/utf8.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tg::data {

Vocab Vocab::from_tokens(std::vector<std::string> tokens) {
  if (tokens.empty()) fail<ValueError>("Vocab: needs at least the unknown token");
  Vocab vocab;
  vocab.tokens_.clear();
  vocab.ids_.clear();
  for (auto& token : tokens) {
    if (!vocab.ids_.emplace(token, static_cast<Index>(vocab.tokens_.size())).second)
      fail<ValueError>("Vocab: token '{}' appears twice (ids {} and {})", escape_token(token), vocab.ids_[token],
                       vocab.tokens_.size());
    vocab.tokens_.push_back(std::move(token));
  }
  return vocab;
}

Vocab Vocab::from_counts(const std::vector<std::pair<std::string, std::size_t>>& counts,
                         const VocabOptions& options) {
  std::vector<std::string> tokens{options.unk_};
  for (const auto& r : options.reserved_)
    if (std::find(tokens.begin(), tokens.end(), r) == tokens.end()) tokens.push_back(r);
  auto freqs = counts;
  std::stable_sort(freqs.begin(), freqs.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  Vocab vocab = from_tokens(std::move(tokens));
  for (const auto& [token, count] : freqs) {
    if (count < options.min_freq_ || vocab.contains(token)) continue;
    vocab.ids_.emplace(token, static_cast<Index>(vocab.tokens_.size()));
    vocab.tokens_.push_back(token);
  }
  vocab.token_freqs_ = std::move(freqs);
  return vocab;
}

Vocab::Vocab(const std::vector<std::string>& tokens, const VocabOptions& options) {
  std::vector<std::pair<std::string, std::size_t>> counts;
  std::unordered_map<std::string, std::size_t> slot;
  for (const auto& token : tokens) {
    auto [it, inserted] = slot.emplace(token, counts.size());
    if (inserted) counts.emplace_back(token, 0);
    ++counts[it->second].second;
  }
  *this = from_counts(counts, options);
}

Index Vocab::operator[](const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? unk() : it->second;
}

const std::string& Vocab::token(Index id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size())
    fail<ValueError>("Vocab::token: id {} out of range for a vocab of {} tokens", id, tokens_.size());
  return tokens_[static_cast<std::size_t>(id)];
}

std::vector<Index> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<Index> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back((*this)[t]);
  return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<Index>& ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (Index id : ids) tokens.push_back(token(id));
  return tokens;
}

std::string escape_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out;
}

bool unescape_token(const std::string& line, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\n' || c == '\t' || c == '\r') return false;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == line.size()) return false;
    switch (line[i]) {
      case '\\': out += '\\'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      default: return false;
    }
  }
  return true;
}

void Vocab::save(const std::string& path) const {
  std::ofstream file(path, std::ios::binary);
  if (!file) fail<IoError>("Vocab::save: cannot open '{}' for writing", path);
  for (const auto& token : tokens_) file << escape_token(token) << '\n';
  if (!file.flush()) fail<IoError>("Vocab::save: writing '{}' failed", path);
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) fail<IoError>("Vocab::load: cannot open '{}'", path);
  std::vector<std::string> tokens;
  std::unordered_map<std::string, std::size_t> seen;
  std::string line, token;
  for (std::size_t number = 1; std::getline(file, line); ++number) {
    if (auto error = find_utf8_error(line))
      fail<IoError>("Vocab::load: {}:{}: invalid UTF-8 at byte {} of the line: {}", path, number, error->offset,
                    error->reason);
    if (!unescape_token(line, token))
      fail<IoError>("Vocab::load: {}:{}: malformed escape or raw control character in '{}'", path, number, line);
    if (token.empty()) fail<IoError>("Vocab::load: {}:{}: empty token", path, number);
    if (auto [it, inserted] = seen.emplace(token, number); !inserted)
      fail<IoError>("Vocab::load: {}:{}: token '{}' already on line {}", path, number, line, it->second);
    tokens.push_back(token);
  }
  if (tokens.empty()) fail<IoError>("Vocab::load: {}: empty file (a vocab has at least the unknown token)", path);
  return from_tokens(std::move(tokens));
}

}  // namespace tg::data
