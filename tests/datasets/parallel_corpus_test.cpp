// Tab-separated sentence pairs: parsing, space normalization and malformed input.
#include "support/support.hpp"

namespace tg::data {
namespace {

TEST(ParallelCorpus, ParsesTwoOrThreeColumns) {
  auto c = ParallelCorpus::parse("Go.\tVa !\nHi.\tSalut !\tCC-BY 2.0 (France) Attribution\r\n", "pairs.tsv");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.source[1], "Hi.");
  EXPECT_EQ(c.target[1], "Salut !");
  EXPECT_EQ(ParallelCorpus::parse("a\tb\nc\td\ne\tf\n", "x", 2).size(), 2u);
}

TEST(ParallelCorpus, NormalizesNoBreakSpaces) {
  auto c = ParallelCorpus::parse("Run!\tCours\xE2\x80\xAF!\nWow!\tCa alors\xC2\xA0!\n", "x");
  EXPECT_EQ(c.target[0], "Cours !");
  EXPECT_EQ(c.target[1], "Ca alors !");
  EXPECT_EQ(normalize_spaces("\xC3\xA9\xE2\x80\xAF\xC2\xA0"), "\xC3\xA9  ");  // é kept
}

void expect_error(const std::string& text, const std::string& message) {
  try {
    ParallelCorpus::parse(text, "fra.txt");
    ADD_FAILURE() << "no throw, expected: " << message;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(ParallelCorpus, MalformedInputSaysFileLineAndOffset) {
  expect_error("Go.\tVa !\nHello there\nHi.\tSalut\n", "fra.txt:2: line at byte offset 9 has no tab");
  expect_error("Go.\tVa !\nHi.\tSal\xFFut\n", "fra.txt:2: invalid UTF-8 at byte offset 16");
  expect_error("Go.\t\n", "fra.txt:1: line at byte offset 0 has an empty target field");
  expect_error("", "fra.txt: empty file");
  expect_error("a\tb\n\nc\td\n", "fra.txt:2: line at byte offset 4 has no tab");
}

TEST(ParallelCorpus, ReadsFraFirst50k) {
  const std::string path = test::shared_data_path("fra.first50k.txt");
  if (path.empty()) GTEST_SKIP() << "fra.first50k.txt not found beside the repository (../shared/data)";
  auto c = ParallelCorpus::from_file(path);
  EXPECT_EQ(c.size(), 50000u);
  EXPECT_EQ(c.source.back(), "He shooed the flies away.");
  EXPECT_EQ(c.target.back(), "Il chassa les mouches.");
  for (const auto& t : c.target) {
    ASSERT_EQ(t.find("\xE2\x80\xAF"), std::string::npos) << t;
    ASSERT_EQ(t.find("\xC2\xA0"), std::string::npos) << t;
  }
}

}  // namespace
}  // namespace tg::data
