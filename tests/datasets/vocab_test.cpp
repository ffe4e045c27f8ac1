// Vocab ids (order, min_freq, reserved, unk), encode/decode and the text file round trip.
#include "support/support.hpp"

#include <fstream>

namespace tg::data {
namespace {

using Tokens = std::vector<std::string>;

TEST(Vocab, OrdersByCountThenFirstAppearance) {
  Vocab v(Tokens{"b", "a", "c", "a", "d", "c", "a"});
  // a:3, then b, c, d by count (c:2), b and d tie at 1 -> first appearance (b before d).
  EXPECT_EQ(v.tokens(), (Tokens{"<unk>", "a", "c", "b", "d"}));
  EXPECT_EQ(v["a"], 1);
  EXPECT_EQ(v["zzz"], v.unk());
  EXPECT_EQ(v.token_freqs().front(), (std::pair<std::string, std::size_t>{"a", 3}));
}

TEST(Vocab, ReservedTokensAndMinFreq) {
  Vocab v(Tokens{"x", "y", "x", "<pad>", "z", "x", "y"},
          VocabOptions().reserved({kPad, kBos, kEos}).min_freq(2));
  EXPECT_EQ(v.tokens(), (Tokens{"<unk>", "<pad>", "<bos>", "<eos>", "x", "y"}));
  EXPECT_EQ(v["z"], 0);
  EXPECT_EQ(v[kEos], 3);
  Vocab custom(Tokens{"a"}, VocabOptions().unk("[UNK]"));
  EXPECT_EQ(custom.token(0), "[UNK]");
}

TEST(Vocab, MatchesD2lReference) {
  // tools/references/datasets.py runs d2l's Vocab on the same text.
  const std::string text = "the cat sat on the mat\nthe dog sat on a log\n\tcats and dogs\n";
  Vocab chars(Tokenizer(TokenLevel::Char).tokenize(text));
  EXPECT_EQ(chars.tokens(), Vocab::load(test::data_path("datasets/vocab_chars.txt")).tokens());
  Vocab words(Tokenizer(TokenLevel::Word).tokenize(text), VocabOptions().reserved({kPad, kBos, kEos}).min_freq(2));
  EXPECT_EQ(words.tokens(), Vocab::load(test::data_path("datasets/vocab_words_min2.txt")).tokens());
}

TEST(Vocab, EncodeDecode) {
  Vocab v(Tokens{"h", "i", "h"});
  EXPECT_EQ(v.encode({"h", "i", "?"}), (std::vector<Index>{1, 2, 0}));
  EXPECT_EQ(v.decode({2, 1}), (Tokens{"i", "h"}));
  try {
    v.token(7);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("id 7 out of range for a vocab of 3"), std::string::npos) << e.what();
  }
}

TEST(Vocab, SaveLoadRoundTripsAwkwardTokens) {
  Vocab v(Tokens{"\n", "a\tb", "back\\slash", "\\n", "\r", "\xC3\xA9t\xC3\xA9", " ", "\n"},
          VocabOptions().reserved({kPad}));
  const std::string path = test::write_temp_file("vocab.txt", "");
  v.save(path);
  Vocab back = Vocab::load(path);
  EXPECT_EQ(back.tokens(), v.tokens());
  EXPECT_EQ(back["\\n"], v["\\n"]);
  EXPECT_NE(back["\n"], back["\\n"]);
  std::ifstream file(path);
  std::string first, second;
  std::getline(file, first);
  std::getline(file, second);
  EXPECT_EQ(first, "<unk>");
  EXPECT_EQ(second, "<pad>");
}

void expect_load_error(const std::string& contents, const std::string& fragment) {
  const std::string path = test::write_temp_file("bad_vocab.txt", contents);
  try {
    Vocab::load(path);
    ADD_FAILURE() << "no throw for " << fragment;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Vocab, MalformedFileNamesFileAndLine) {
  expect_load_error("<unk>\na\\qb\n", ":2: malformed escape");
  expect_load_error("<unk>\nx\n\n", ":3: empty token");
  expect_load_error("<unk>\nx\ny\nx\n", ":4: token 'x' already on line 2");
  expect_load_error("<unk>\nraw\ttab\n", ":2: malformed");
  expect_load_error("<unk>\nend\\\n", ":2: malformed");
  expect_load_error("<unk>\n\xFF\n", ":2: invalid UTF-8");
  expect_load_error("", "empty file");
  EXPECT_THROW(Vocab::load("/nonexistent/vocab.txt"), IoError);
}

}  // namespace
}  // namespace tg::data
