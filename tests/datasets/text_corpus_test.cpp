// A text file to a token-id stream and its vocab.
#include "support/support.hpp"

namespace tg::data {
namespace {

TEST(TextCorpus, IdsFollowTheVocab) {
  auto corpus = TextCorpus::from_text("abca\n", Tokenizer(TokenLevel::Char));
  EXPECT_EQ(corpus.vocab.tokens(), (std::vector<std::string>{"<unk>", "a", "b", "c", "\n"}));
  EXPECT_EQ(corpus.ids, (std::vector<Index>{1, 2, 3, 1, 4}));
  auto cut = TextCorpus::from_text("abca\n", Tokenizer(TokenLevel::Char), VocabOptions(), 2);
  EXPECT_EQ(cut.ids, (std::vector<Index>{1, 2}));
  EXPECT_EQ(cut.vocab.size(), 5u);  // the vocab still counts everything, as d2l's max_tokens
}

TEST(TextCorpus, GivenVocabMapsUnseenToUnk) {
  Vocab vocab(std::vector<std::string>{"a", "b"});
  auto corpus = TextCorpus::from_text("abz", Tokenizer(TokenLevel::Char), vocab);
  EXPECT_EQ(corpus.ids, (std::vector<Index>{1, 2, 0}));
}

TEST(TextCorpus, FileErrorsSayWhere) {
  const std::string path = test::write_temp_file("corpus.txt", "line one\nline \xC3\x28two\n");
  try {
    TextCorpus::from_file(path, Tokenizer());
    FAIL() << "no throw";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: invalid UTF-8 at byte offset 14"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TextCorpus::from_file(test::write_temp_file("empty.txt", ""), Tokenizer()), IoError);
  EXPECT_THROW(TextCorpus::from_file("/nonexistent/corpus.txt", Tokenizer()), IoError);
}

TEST(TextCorpus, TimeMachineCharVocabHas28Entries) {
  const std::string path = test::shared_data_path("timemachine.txt");
  if (path.empty()) GTEST_SKIP() << "timemachine.txt not found beside the repository (../shared/data)";
  auto corpus = TextCorpus::from_file(path, Tokenizer(TokenLevel::Char, Normalizer::TimeMachine));
  EXPECT_EQ(corpus.vocab.size(), 28u);
  EXPECT_EQ(corpus.vocab.token(1), " ");  // d2l 0.17's printout: [(' ', 29927), ('e', 17838), ...]
  EXPECT_EQ(corpus.vocab.token(2), "e");
  EXPECT_EQ(corpus.vocab.token_freqs()[0].second, 29927u);
  EXPECT_EQ(corpus.ids.size(), 170580u);  // d2l: len(corpus) == 170580
}
}  // namespace
}  // namespace tg::data
