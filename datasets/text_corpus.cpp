#include "datasets/text_corpus.hpp"

#include "datasets/text_file.hpp"

namespace tg::data {

TextCorpus TextCorpus::from_text(std::string_view text, const Tokenizer& tokenizer, Vocab vocab,
                                 std::size_t max_tokens) {
  TextCorpus corpus{tokenizer, std::move(vocab), {}};
  corpus.ids = corpus.vocab.encode(tokenizer.tokenize(text));
  if (max_tokens > 0 && corpus.ids.size() > max_tokens) corpus.ids.resize(max_tokens);
  return corpus;
}

TextCorpus TextCorpus::from_text(std::string_view text, const Tokenizer& tokenizer, const VocabOptions& options,
                                 std::size_t max_tokens) {
  const std::vector<std::string> tokens = tokenizer.tokenize(text);
  TextCorpus corpus{tokenizer, Vocab(tokens, options), {}};
  corpus.ids = corpus.vocab.encode(tokens);
  if (max_tokens > 0 && corpus.ids.size() > max_tokens) corpus.ids.resize(max_tokens);
  return corpus;
}

TextCorpus TextCorpus::from_file(const std::string& path, const Tokenizer& tokenizer, const VocabOptions& options,
                                 std::size_t max_tokens) {
  return from_text(read_utf8_file(path, "TextCorpus"), tokenizer, options, max_tokens);
}

}  // namespace tg::data
