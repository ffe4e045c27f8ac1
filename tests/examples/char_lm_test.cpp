// examples/char_lm: the model learns a generated language well beyond what character frequencies
// explain, and a checkpointed run resumed by fresh objects continues bit-exactly.
#include "char_lm/char_lm.hpp"

#include "support/support.hpp"

#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

namespace tg {
namespace {

namespace lm = examples::char_lm;

struct Corpus {
  data::Vocab vocab;
  std::vector<Index> train, valid;
};

Corpus generated_corpus(std::size_t chars) {
  const auto tokens = data::Tokenizer(data::TokenLevel::Char).tokenize(lm::generated_text(/*seed=*/3, chars));
  Corpus c{data::Vocab(tokens), {}, {}};
  std::tie(c.train, c.valid) = data::split_tail(c.vocab.encode(tokens), 0.2);
  return c;
}

// Perplexity on `ids` of the best bigram model for `ids` themselves (p(b | a) = count(ab) / count(a),
// fitted on the very text it is scored on), and of the best unigram model: no character model that
// looks one character back can do better on this text.
std::pair<double, double> unigram_bigram_perplexity(const std::vector<Index>& ids) {
  std::map<Index, double> unigram, context;
  std::map<std::pair<Index, Index>, double> bigram;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ++unigram[ids[i]];
    if (i + 1 < ids.size()) {
      ++context[ids[i]];
      ++bigram[{ids[i], ids[i + 1]}];
    }
  }
  double uni = 0, bi = 0;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    uni -= std::log(unigram[ids[i + 1]] / static_cast<double>(ids.size()));
    bi -= std::log(bigram[{ids[i], ids[i + 1]}] / context[ids[i]]);
  }
  const auto n = static_cast<double>(ids.size() - 1);
  return {std::exp(uni / n), std::exp(bi / n)};
}

// Trains for `steps` optimizer steps and returns each step's loss.
std::vector<double> train(lm::Trainer& trainer, std::size_t steps) {
  std::vector<double> losses;
  while (trainer.steps() < steps)
    if (auto r = trainer.step()) losses.push_back(r->loss);
  return losses;
}

TEST(CharLM, ParametersHavePyTorchNames) {
  manual_seed(0);
  lm::CharLM with_embedding(20, {.model = "gru", .hidden = 8, .embed = 4});
  std::vector<std::string> names;
  for (const auto& [name, p] : with_embedding.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                                             "rnn.bias_hh_l0", "head.weight", "head.bias"}));
  // d2l's setting: one-hot input, no embedding; the RNN reads vocab-sized vectors.
  lm::CharLM one_hot(28, {.model = "rnn", .hidden = 8, .embed = 0});
  EXPECT_EQ(one_hot.embedding, nullptr);
  EXPECT_EQ(one_hot.rnn->named_parameters().front().second.shape(), (Shape{8, 28}));
  auto [logits, state] = one_hot.forward(IndexArray{{0, 27}, {3, 4}, {5, 6}}, {});
  EXPECT_EQ(logits.shape(), (Shape{3, 2, 28}));
}

TEST(CharLM, OneHotMarksEachIdAndChecksTheRange) {
  IndexArray ids{{1, 2}, {0, 4}};
  Tensor x = lm::one_hot(ids, 5);
  EXPECT_EQ(x.shape(), (Shape{2, 2, 5}));
  EXPECT_FALSE(x.requires_grad());
  EXPECT_EQ(x.data<float>()(1, 1, 4), 1.0f);
  EXPECT_EQ(xt::sum(x.data<float>())(), 4.0f);
  EXPECT_TRUE(test::throws<ValueError>([&] { lm::one_hot(IndexArray{5}, 5); }, {"one_hot", "id 5", "[0, 5)"}));
}

TEST(CharLM, CorpusCleansLikeD2lAndCutsAfterBuildingTheVocabulary) {
  const auto corpus = lm::char_corpus("The Time-Machine!\n\nBy H. G.\n", data::Normalizer::TimeMachine, 5);
  // "the time machineby h g": every letter of the text is in the vocabulary, only 5 ids are kept.
  EXPECT_EQ(corpus.vocab.size(), 1 + 12u);  // t h e space i m a c n b y g
  EXPECT_EQ(corpus.vocab.decode(corpus.ids), (std::vector<std::string>{"t", "h", "e", " ", "t"}));
  EXPECT_TRUE(corpus.vocab.contains("y"));
  const auto given = lm::char_corpus("abc", data::Normalizer::Keep, 0, data::Vocab::from_tokens({"<unk>", "b"}));
  EXPECT_EQ(given.ids, (std::vector<Index>{0, 1, 0}));
}

TEST(CharLM, TimeMachineHasD2lsVocabulary) {
  const std::string path = test::shared_data_path("timemachine.txt");
  if (path.empty()) GTEST_SKIP() << "../shared/data/timemachine.txt is absent";
  const auto corpus = lm::char_corpus(data::read_utf8_file(path, "test"), data::Normalizer::TimeMachine, 10000);
  EXPECT_EQ(corpus.vocab.size(), 28u);  // 26 letters, space, <unk>
  EXPECT_EQ(corpus.ids.size(), 10000u);
  EXPECT_EQ(corpus.vocab.token(1), " ");
  EXPECT_EQ(corpus.vocab.token(2), "e");
}

TEST(CharLM, UnknownModelNamesItself) {
  EXPECT_TRUE(test::throws<ValueError>([] { lm::CharLM(5, {.model = "transformer"}); }, {"CharLM", "transformer"}));
}

// The generated language picks a subject, a verb and an object (5 choices each) and then spells
// them out, so most characters are predictable from the words before them but not from the one
// character before them. Numbers measured: unigram perplexity 16.2, bigram 4.28 (the best bigram
// model of the validation text itself); a 64-unit LSTM trained for 150 Adam steps (about 1 s)
// reaches 1.26, the untrained one 24.6. The bound is 0.4 x bigram = 1.71.
TEST(CharLM, LearnsFarBeyondTheBigramPerplexity) {
  set_num_threads(1);
  const Corpus c = generated_corpus(20000);
  const auto [unigram, bigram] = unigram_bigram_perplexity(c.valid);
  EXPECT_GT(unigram, 10.0);
  EXPECT_GT(bigram, 3.5);
  const double bound = 0.4 * bigram;

  manual_seed(0);
  lm::Trainer trainer(std::make_shared<lm::CharLM>(c.vocab.size(), lm::ModelOptions{.hidden = 64, .embed = 16}), c.train,
                      {.optimizer = "adam", .lr = 1e-2, .clip = 1, .batch_size = 16, .num_steps = 32});
  // Control: the same model before training is nowhere near the bound.
  const double untrained = std::exp(lm::evaluate(trainer.model(), c.valid, 8, 32));
  EXPECT_GT(untrained, bound * 3);

  train(trainer, 150);
  const double trained = std::exp(lm::evaluate(trainer.model(), c.valid, 8, 32));
  EXPECT_LT(trained, bound) << "unigram " << unigram << ", bigram " << bigram << ", untrained " << untrained;
  RecordProperty("unigram", std::to_string(unigram));
  RecordProperty("bigram", std::to_string(bigram));
  RecordProperty("trained", std::to_string(trained));
  RecordProperty("untrained", std::to_string(untrained));
}

class CharLMResume : public ::testing::TestWithParam<data::Sampling> {};

// Train N steps straight, and N/2 + checkpoint + N/2 with fresh objects (a new model initialised
// differently, a new trainer, a global generator moved on): the same losses and parameters, bit for
// bit. The corpus is short so that the run crosses epoch boundaries; dropout exercises the global
// generator, Adam the optimizer state, sequential sampling the carried state.
TEST_P(CharLMResume, ContinuesBitExactly) {
  set_num_threads(1);
  const Corpus c = generated_corpus(1500);
  const lm::ModelOptions model{.model = "lstm", .layers = 2, .hidden = 16, .embed = 8, .dropout = 0.2};
  const lm::TrainerOptions options{.optimizer = "adam", .lr = 3e-3, .batch_size = 4, .num_steps = 16,
                                   .sampling = GetParam(), .seed = 5};
  const auto fresh_trainer = [&](std::uint64_t init_seed) {
    manual_seed(init_seed);
    return lm::Trainer(std::make_shared<lm::CharLM>(c.vocab.size(), model), c.train, options);
  };
  constexpr std::size_t N = 40;

  lm::Trainer straight = fresh_trainer(1);
  ASSERT_LT(straight.batches_per_epoch(), N / 2) << "the halves should cross epoch boundaries";
  const std::vector<double> straight_losses = train(straight, N);
  EXPECT_GE(straight.epoch(), 2u);

  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("char_lm_resume_" + std::to_string(static_cast<int>(GetParam())))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<double> resumed_losses;
  {
    lm::Trainer first = fresh_trainer(1);
    resumed_losses = train(first, N / 2);
    first.save(dir);
    // Move everything on after the save: a resumed run must not depend on it.
    train(first, N / 2 + 3);
  }
  lm::Trainer second = fresh_trainer(99);
  randn({7});
  second.resume(dir);
  EXPECT_EQ(second.steps(), N / 2);
  const std::vector<double> rest = train(second, N);
  resumed_losses.insert(resumed_losses.end(), rest.begin(), rest.end());

  EXPECT_EQ(resumed_losses, straight_losses);
  const auto expected = straight.model().named_parameters();
  const auto actual = second.model().named_parameters();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(actual[i].second.data<float>() == expected[i].second.data<float>()) << expected[i].first;
  EXPECT_EQ(second.sample_generator().state(), straight.sample_generator().state());
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Sampling, CharLMResume, ::testing::Values(data::Sampling::Sequential, data::Sampling::Random),
                         [](const auto& info) { return info.param == data::Sampling::Random ? "Random" : "Sequential"; });

TEST(CharLM, ResumeWithoutCheckpointNamesTheFolder) {
  const Corpus c = generated_corpus(1500);
  lm::Trainer trainer(std::make_shared<lm::CharLM>(c.vocab.size(), lm::ModelOptions{.hidden = 8, .embed = 4}), c.train,
                      {.batch_size = 4, .num_steps = 8});
  const std::string dir = (std::filesystem::temp_directory_path() / "char_lm_no_checkpoint").string();
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(test::throws<IoError>([&] { trainer.resume(dir); }, {"char_lm", "char_lm_no_checkpoint"}));
}

}  // namespace
}  // namespace tg
