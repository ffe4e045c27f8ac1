// Character (code point) and word tokenizers with the three normalizers.
#include "support/support.hpp"

namespace tg::data {
namespace {

using Tokens = std::vector<std::string>;

TEST(Tokenizer, CharTokensAreCodePoints) {
  Tokenizer chars(TokenLevel::Char);
  EXPECT_EQ(chars.tokenize("d\xC3\xA9j\xC3\xA0\n"), (Tokens{"d", "\xC3\xA9", "j", "\xC3\xA0", "\n"}));
  EXPECT_EQ(chars.detokenize(chars.tokenize("x\xE2\x82\xAC y")), "x\xE2\x82\xAC y");
}

TEST(Tokenizer, WordTokensSplitOnWhitespace) {
  Tokenizer words(TokenLevel::Word);
  EXPECT_EQ(words.tokenize("  Go.\tRun!\nI see.  "), (Tokens{"Go.", "Run!", "I", "see."}));
  EXPECT_EQ(words.detokenize({"a", "b"}), "a b");
  EXPECT_TRUE(words.tokenize(" \n\t").empty());
}

TEST(Tokenizer, LowerCasesBeyondAscii) {
  EXPECT_EQ(normalize("\xC3\x89T\xC3\x89 \xC5\x92UF \xD0\x9F\xD1\x80\xD0\x98", Normalizer::Lower),
            "\xC3\xA9t\xC3\xA9 \xC5\x93uf \xD0\xBF\xD1\x80\xD0\xB8");  // ÉTÉ ŒUF ПрИ -> été œuf при
  EXPECT_EQ(lower_code_point(0xD7), 0xD7u);  // × has no lower case
  EXPECT_EQ(Tokenizer(TokenLevel::Word, Normalizer::Lower).tokenize("Hello WORLD"), (Tokens{"hello", "world"}));
}

TEST(Tokenizer, TimeMachineNormalizerMatchesD2l) {
  // Python: [re.sub('[^A-Za-z]+', ' ', l).strip().lower() for l in text.split('\n')]
  const std::string text = "The Time Machine, by H. G. Wells [1898]\n\n  I\n--It's 3 o'clock--\n";
  EXPECT_EQ(normalize(text, Normalizer::TimeMachine), "the time machine by h g wells" "i" "it s o clock");
  Tokenizer chars(TokenLevel::Char, Normalizer::TimeMachine);
  Tokens c = chars.tokenize(text);
  EXPECT_EQ(c.size(), std::string("the time machine by h g wellsiit s o clock").size());
  EXPECT_EQ(c[28], "s");
  EXPECT_EQ(c[29], "i");  // d2l concatenates the lines' char tokens with nothing between them
  // Words keep line ends as boundaries (d2l splits each line).
  Tokenizer words(TokenLevel::Word, Normalizer::TimeMachine);
  Tokens w = words.tokenize(text);
  EXPECT_EQ(w, (Tokens{"the", "time", "machine", "by", "h", "g", "wells", "i", "it", "s", "o", "clock"}));
}

TEST(Tokenizer, TranslationNormalizerMatchesD2lPreprocessNmt) {
  // d2l: text.replace('\u202f', ' ').replace('\xa0', ' ').lower(), then ' ' + char for
  // char in ',.!?' not preceded by a space.
  EXPECT_EQ(normalize("Go.\tVa\xE2\x80\xAF!\nHi, Tom!\n\xC3\x87" "a va ?\nWait...", Normalizer::Translation),
            "go .\tva !\nhi , tom !\n\xC3\xA7" "a va ?\nwait . . .");
  Tokenizer words(TokenLevel::Word, Normalizer::Translation);
  EXPECT_EQ(words.tokenize("I won!"), (Tokens{"i", "won", "!"}));
}

TEST(Tokenizer, InvalidUtf8ThrowsWithOffset) {
  try {
    Tokenizer(TokenLevel::Char).tokenize("abc\xE2\x28\xA1");
    FAIL() << "no throw";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer(TokenLevel::Word).tokenize("ok \xFF"), ValueError);
  EXPECT_THROW(Tokenizer(TokenLevel::Word, Normalizer::Lower).tokenize("ok \xFF"), ValueError);
}

}  // namespace
}  // namespace tg::data
