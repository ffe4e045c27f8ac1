#pragma once
// Token <-> id mapping, as d2l's Vocab.
#include "autograd/xt.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tg::data {

inline constexpr const char* kUnk = "<unk>";
inline constexpr const char* kPad = "<pad>";
inline constexpr const char* kBos = "<bos>";
inline constexpr const char* kEos = "<eos>";

/// How a Vocab is built. The defaults are d2l's: no reserved tokens besides `<unk>`, min_freq 1.
/// For sequence-to-sequence models: `VocabOptions().reserved({kPad, kBos, kEos}).min_freq(2)`.
struct VocabOptions {
  std::size_t min_freq_ = 1;
  std::vector<std::string> reserved_;
  std::string unk_ = kUnk;

  VocabOptions& min_freq(std::size_t n) { min_freq_ = n; return *this; }
  VocabOptions& reserved(std::vector<std::string> tokens) { reserved_ = std::move(tokens); return *this; }
  VocabOptions& unk(std::string token) { unk_ = std::move(token); return *this; }
};

/// Ids are: the unknown token 0, the reserved tokens 1.. in the order given, then every other token
/// whose count is at least min_freq, by count descending. Ties keep the order of first appearance
/// (d2l: `sorted(Counter(tokens).items(), key=count, reverse=True)` is stable and Counter keeps
/// insertion order), so a vocab is a pure function of the token sequence.
///
///     tg::data::Vocab vocab(tokens, tg::data::VocabOptions().reserved({tg::data::kPad}));
///     std::vector<tg::Index> ids = vocab.encode(tokens);   // unseen tokens -> vocab.unk()
///     vocab.save("vocab.txt");  auto same = tg::data::Vocab::load("vocab.txt");
class Vocab {
 public:
  /// Just the unknown token.
  Vocab() : tokens_{kUnk}, ids_{{kUnk, 0}} {}
  /// Counts `tokens` and builds the vocab from them.
  explicit Vocab(const std::vector<std::string>& tokens, const VocabOptions& options = {});
  /// From counts in order of first appearance (what tie-breaking follows).
  static Vocab from_counts(const std::vector<std::pair<std::string, std::size_t>>& counts,
                           const VocabOptions& options = {});
  /// Ids in the order given: `tokens[0]` is the unknown token. Duplicates throw ValueError.
  static Vocab from_tokens(std::vector<std::string> tokens);

  std::size_t size() const { return tokens_.size(); }
  Index unk() const { return 0; }
  /// The id of `token`, or unk() if it is not in the vocab.
  Index operator[](const std::string& token) const;
  bool contains(const std::string& token) const { return ids_.count(token) != 0; }
  /// The token of `id`; ValueError if out of range.
  const std::string& token(Index id) const;
  const std::vector<std::string>& tokens() const { return tokens_; }
  /// (token, count) sorted as the ids, of the counted tokens (empty for a loaded vocab).
  const std::vector<std::pair<std::string, std::size_t>>& token_freqs() const { return token_freqs_; }

  std::vector<Index> encode(const std::vector<std::string>& tokens) const;
  std::vector<std::string> decode(const std::vector<Index>& ids) const;

  /// One token a line in id order; `\\`, newline, tab and carriage return are escaped as `\\\\`,
  /// `\\n`, `\\t`, `\\r`, so every token round-trips.
  void save(const std::string& path) const;
  /// Reads a file written by save(); a malformed file (bad escape, empty or duplicate token, invalid
  /// UTF-8) throws IoError naming the file and line.
  static Vocab load(const std::string& path);

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, Index> ids_;
  std::vector<std::pair<std::string, std::size_t>> token_freqs_;
};

/// `token` with backslash, newline, tab and carriage return escaped (the vocab file's line format).
std::string escape_token(const std::string& token);
/// Inverse of escape_token into `out`; false on a bad escape or a raw newline, tab or carriage return.
bool unescape_token(const std::string& line, std::string& out);

}  // namespace tg::data
