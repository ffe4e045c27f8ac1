// BLEU: d2l's unit values, corpus BLEU-4 against NLTK (tools/references/bleu.py), empty outputs.
#include "support/support.hpp"

#include <datasets/bleu.hpp>

#include <fstream>

namespace tg::data {
namespace {

TEST(Bleu, D2lUnitValues) {
  EXPECT_NEAR(bleu("il est riche .", "il est calme .", 2), 0.658, 5e-4);
  EXPECT_NEAR(bleu("je suis en retard ?", "je suis chez moi .", 2), 0.447, 5e-4);
  EXPECT_NEAR(bleu("il est paresseux prie .", "il est calme .", 2), 0.548, 5e-4);
  EXPECT_EQ(bleu("va !", "va !", 2), 1.0);
}

TEST(Bleu, EmptyAndShortOutputsDoNotDivideByZero) {
  EXPECT_EQ(bleu("", "il est calme .", 2), 0.0);
  EXPECT_EQ(bleu("   ", "", 4), 0.0);
  // Orders beyond the prediction's length are left out, as d2l does.
  EXPECT_NEAR(bleu("il", "il est", 4), std::exp(1 - 2.0), 1e-15);
  EXPECT_EQ(corpus_bleu({{}}, {{{"a", "b"}}}), 0.0);
  EXPECT_EQ(corpus_bleu({}, {}), 0.0);
}

TEST(Bleu, SplitTokens) {
  EXPECT_EQ(split_tokens("  il  est\tcalme .\n"), (Tokens{"il", "est", "calme", "."}));
  EXPECT_TRUE(split_tokens("").empty());
}

/// The cases of tests/data/bleu/corpus_bleu.txt: NLTK's corpus BLEU-4 and its corpus.
struct Case {
  double expected = 0;
  std::vector<Tokens> hypotheses;
  std::vector<std::vector<Tokens>> references;
};

std::vector<Case> read_cases(const std::string& path) {
  std::ifstream in(path);
  std::vector<Case> cases;
  for (std::string line; std::getline(in, line);) {
    const Tokens words = split_tokens(line);
    const Tokens rest(words.begin() + 1, words.end());
    if (words.front() == "case") {
      cases.push_back({std::stod(rest.at(0)), {}, {}});
    } else if (words.front() == "H") {
      cases.back().hypotheses.push_back(rest);
      cases.back().references.emplace_back();
    } else {
      cases.back().references.back().push_back(rest);
    }
  }
  return cases;
}

TEST(Bleu, CorpusBleuMatchesNltk) {
  const std::vector<Case> cases = read_cases(test::data_path("bleu/corpus_bleu.txt"));
  ASSERT_EQ(cases.size(), 62u);
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const double score = corpus_bleu(cases[i].hypotheses, cases[i].references);
    EXPECT_NEAR(score, cases[i].expected, 1e-12) << "case " << i;
    nonzero += cases[i].expected > 1e-3;
  }
  EXPECT_GE(nonzero, 30u) << "too few cases with matches of every order";
  EXPECT_EQ(cases.back().expected, 1.0);
}

TEST(Bleu, CorpusBleuErrors) {
  EXPECT_TRUE(test::throws<ValueError>([] { corpus_bleu({{"a"}}, {}); }, {"corpus_bleu: 1 hypotheses but 0 lists of references"}));
  EXPECT_TRUE(test::throws<ValueError>([] { corpus_bleu({{"a"}}, {{}}); }, {"corpus_bleu: hypothesis 0 has no reference"}));
}

}  // namespace
}  // namespace tg::data
