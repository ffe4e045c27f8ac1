// examples/char_lm: the model learns a generated language well beyond what character frequencies
// explain, and a checkpointed run resumed by fresh objects continues bit-exactly. The program (run())
// fails in one line, resumes from --out alone and refuses other options or text by name.
#include "char_lm/char_lm.hpp"
#include "char_lm/program.hpp"
#include "common/metrics.hpp"

#include "pretend_replicas.hpp"
#include "support/support.hpp"

#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

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

// The program, run as a function: tiny models on a few thousand generated characters.
struct ProgramRun {
  int code;
  std::string out, err;
};

// Runs char_lm with `args`, and these unless `args` sets them.
ProgramRun run_program(std::vector<std::string> args) {
  const std::vector<std::pair<std::string, std::string>> defaults{
      {"--threads", "1"}, {"--sample-chars", "5"}, {"--max-chars", "3000"}, {"--batch-size", "4"},
      {"--num-steps", "8"}, {"--hidden", "12"}, {"--embed", "4"}, {"--log-interval", "1000"}};
  for (const auto& [flag, value] : defaults)
    if (std::find(args.begin(), args.end(), flag) == args.end()) args.insert(args.end(), {flag, value});
  std::ostringstream out, err;
  const int code = lm::run(args, out, err);
  return {code, out.str(), err.str()};
}

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("char_lm_program_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
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
  EXPECT_TRUE(test::throws<IoError>([&] { trainer.resume(dir); }, {"no checkpoint in", "char_lm_no_checkpoint"}));
  // The program says so before anything else (it used to fail on the vocabulary file first).
  const auto r = run_program({"--out", dir, "--resume"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err, "char_lm: no checkpoint in " + dir + " (no " + dir + "/checkpoint.txt to resume)\n");
}

TEST(CharLM, DataParallelRefusesTooSmallABatchAndACheckpointOfAnotherWorldSize) {
  const Corpus c = generated_corpus(1500);
  const auto model = [&] { return std::make_shared<lm::CharLM>(c.vocab.size(), lm::ModelOptions{.hidden = 8, .embed = 4}); };
  EXPECT_TRUE(test::throws<ValueError>(
      [&] { lm::Trainer(model(), c.train, {.batch_size = 2, .num_steps = 8}, std::make_shared<test::PretendReplicas>(3)); },
      {"Trainer: a batch of 2 rows cannot be shared by 3 processes; give --batch-size at least 3"}));

  const std::string dir = (std::filesystem::temp_directory_path() / "char_lm_world_size").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  lm::Trainer(model(), c.train, {.batch_size = 4, .num_steps = 8}).save(dir);
  lm::Trainer two(model(), c.train, {.batch_size = 4, .num_steps = 8}, std::make_shared<test::PretendReplicas>(2));
  EXPECT_TRUE(test::throws<ValueError>([&] { two.resume(dir); },
                                       {"--resume: the run in", "was trained by 1 process and this is 2",
                                        "continue it without mpirun"}));
  std::filesystem::remove_all(dir);
}

TEST(CharLM, ParameterCountMatchesTheModel) {
  for (const lm::ModelOptions& o : {lm::ModelOptions{.model = "rnn", .layers = 1, .hidden = 5, .embed = 0},
                                    lm::ModelOptions{.model = "gru", .layers = 2, .hidden = 6, .embed = 3},
                                    lm::ModelOptions{.model = "lstm", .layers = 3, .hidden = 4, .embed = 2}}) {
    std::size_t numel = 0;
    for (const auto& [name, p] : lm::CharLM(7, o).named_parameters()) numel += p.numel();
    EXPECT_EQ(lm::parameter_count(7, o), static_cast<double>(numel)) << o.model;
  }
}

// A batch-major (N, L) batch has the right rank and ids, so only its layout tag can tell that it
// would be read as N steps of L sequences.
TEST(CharLM, RefusesBatchMajorBatches) {
  manual_seed(0);
  lm::CharLM model(10, {.hidden = 4, .embed = 2});
  std::vector<Index> ids(100);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<Index>(i % 10);
  data::LmBatch b;
  data::LmBatchIterator(ids, data::LmBatchOptions().batch_size(3).num_steps(3)).next(b);
  EXPECT_EQ(model.forward(b, {}).first.shape(), (Shape{3, 3, 10}));
  data::LmBatchIterator(ids, data::LmBatchOptions().batch_size(3).num_steps(3).layout(data::Layout::BatchMajor)).next(b);
  EXPECT_TRUE(test::throws<ShapeError>([&] { model.forward(b, {}); }, {"CharLM", "batch-major (N, L)", "Layout::TimeMajor"}));
}

// SGD at lr 1000 without clipping: the loss turns NaN or explodes within a few steps.
TEST(CharLM, DivergenceStopsTrainingWithTheFix) {
  set_num_threads(1);
  const Corpus c = generated_corpus(3000);
  manual_seed(0);
  lm::Trainer trainer(std::make_shared<lm::CharLM>(c.vocab.size(), lm::ModelOptions{.hidden = 16, .embed = 8}), c.train,
                      {.optimizer = "sgd", .lr = 1000, .clip = 0, .batch_size = 4, .num_steps = 8});
  EXPECT_TRUE(test::throws<ValueError>([&] { train(trainer, 200); },
                                       {"training diverged at step", "lower the learning rate (lr 1000 with sgd)",
                                        "clip the gradient norm"}));
}

// Exactly one line, prefixed once.
::testing::AssertionResult one_line_failure(const ProgramRun& r, std::initializer_list<std::string_view> parts) {
  if (r.code == 0) return ::testing::AssertionFailure() << "exit code 0";
  if (r.err.rfind("char_lm: ", 0) != 0 || r.err.find("char_lm: char_lm") != std::string::npos ||
      std::count(r.err.begin(), r.err.end(), '\n') != 1 || r.err.back() != '\n')
    return ::testing::AssertionFailure() << "not one line \"char_lm: ...\": " << r.err;
  for (std::string_view part : parts)
    if (r.err.find(part) == std::string::npos) return ::testing::AssertionFailure() << r.err << " lacks " << part;
  return ::testing::AssertionSuccess();
}

TEST(CharLMProgram, EveryFailureIsOneLineAndANonZeroExit) {
  const std::string file = test::write_temp_file("char_lm_out_is_a_file", "x");
  EXPECT_TRUE(one_line_failure(run_program({"--out", file}), {"--out", "is a file"}));
  // 4e16 parameters: refused before allocating anything, with what it would need.
  EXPECT_TRUE(one_line_failure(run_program({"--out", fresh_dir("huge"), "--hidden", "100000000"}),
                               {"4e+16 parameters", "PB", "memory"}));
  EXPECT_TRUE(one_line_failure(run_program({"--data", test::write_temp_file("char_lm_bad_utf8", "ab\xff")}),
                               {"--data", "invalid UTF-8"}));
}

TEST(CharLMProgram, OptionErrorsReadWell) {
  EXPECT_TRUE(one_line_failure(run_program({"--layers", "0"}), {"--layers: 0 is less than 1"}));
  EXPECT_TRUE(one_line_failure(run_program({"--dropout", "1"}), {"--dropout: 1 is outside [0, 0.95]"}));
  EXPECT_TRUE(one_line_failure(run_program({"--temperature", "-1"}), {"--temperature: -1 is less than 0"}));
  EXPECT_TRUE(one_line_failure(run_program({"--lr", "abc"}), {"--lr: 'abc' is not a number"}));
  EXPECT_LT(run_program({"--layers", "0"}).err.size(), 80u);
}

std::vector<tg::examples::EpochMetrics> metrics(const std::string& dir) {
  return tg::examples::MetricsCsv::read(dir + "/metrics.csv");
}

TEST(CharLMProgram, LearningRateSuitsTheOptimizer) {
  for (const auto& [optimizer, lr] : {std::pair{"adam", 2e-3}, std::pair{"sgd", 1.0}}) {
    const std::string dir = fresh_dir(optimizer);
    ASSERT_EQ(run_program({"--optimizer", optimizer, "--steps", "2", "--out", dir}).code, 0);
    EXPECT_EQ(metrics(dir).back().learning_rate, lr) << optimizer;
  }
}

TEST(CharLMProgram, SaysWhereItWroteAndLogsEveryNSteps) {
  const std::string dir = fresh_dir("where");
  const ProgramRun r = run_program({"--steps", "12", "--metrics-every", "3", "--out", dir});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string file : {"/metrics.csv", "/loss.svg"}) {
    EXPECT_NE(r.err.find(dir + file), std::string::npos) << file;
    EXPECT_TRUE(std::filesystem::exists(dir + file)) << file;
  }
  EXPECT_NE(r.err.find("checkpoint (model.npz, optimizer.npz, checkpoint.txt) in " + dir), std::string::npos);
  // Steps 3, 6, 9 and the last one, 12, with validation; fewer than one epoch (about 80 steps).
  const auto rows = metrics(dir);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].step, 3u);
  EXPECT_EQ(rows[3].step, 12u);
  EXPECT_TRUE(std::isnan(rows[2].valid_loss));
  EXPECT_FALSE(std::isnan(rows[3].valid_loss));
}

// The options a run started with are in its folder: --resume needs only --out; others are refused by name.
TEST(CharLMProgram, ResumeTakesTheRecordedOptionsAndRefusesOthersByName) {
  const std::string dir = fresh_dir("options");
  ASSERT_EQ(run_program({"--steps", "5", "--normalizer", "lower", "--optimizer", "adam", "--hidden", "10",
                         "--out", dir}).code, 0);
  // Only --out (run_program passes --hidden 12 and others: leave them out here).
  std::ostringstream out, err;
  EXPECT_EQ(lm::run({"--out", dir, "--resume", "--steps", "8", "--sample-chars", "1"}, out, err), 0) << err.str();
  EXPECT_EQ(metrics(dir).back().step, 8u);
  EXPECT_EQ(metrics(dir).back().learning_rate, 2e-3);
  EXPECT_TRUE(one_line_failure(run_program({"--out", dir, "--resume"}),
                               {"--resume: --hidden 12 differs from --hidden 10 that the run in " + dir}));
  std::ostringstream out2, err2;
  EXPECT_NE(lm::run({"--out", dir, "--resume", "--normalizer", "d2l"}, out2, err2), 0);
  EXPECT_NE(err2.str().find("--normalizer d2l differs from --normalizer lower"), std::string::npos) << err2.str();
  std::ostringstream out3, err3;
  EXPECT_NE(lm::run({"--out", dir, "--resume", "--data", test::write_temp_file("char_lm_other.txt", "other text")},
                    out3, err3), 0);
  EXPECT_NE(err3.str().find("differs from the one the run in " + dir + " was trained on"), std::string::npos) << err3.str();
}

TEST(CharLMProgram, MissingOrMalformedOptionsFileIsNamed) {
  const std::string dir = fresh_dir("bad_options");
  ASSERT_EQ(run_program({"--steps", "2", "--out", dir}).code, 0);
  const auto rewrite = [&](const std::string& from, const std::string& to) {
    std::ifstream in(dir + "/options.txt");
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.replace(s.find(from), from.size(), to);
    std::ofstream(dir + "/options.txt") << s;
  };
  rewrite("--layers 1", "--layers abc");
  EXPECT_TRUE(one_line_failure(run_program({"--out", dir, "--resume"}),
                               {dir + "/options.txt: 'abc' is not a value of --layers"}));
  std::filesystem::remove(dir + "/options.txt");
  EXPECT_TRUE(one_line_failure(run_program({"--out", dir, "--resume"}), {dir + "/options.txt cannot be read"}));
}

// "epoch K step S (... s): train perplexity P, validation perplexity V" lines, without the time
// ("epoch K (unfinished) step S" does not match).
std::vector<std::string> epoch_lines(const std::string& err) {
  static const std::regex line(R"(epoch (\d+) step (\d+) \([^)]*\): ([^\n]*))");
  std::vector<std::string> lines;
  for (std::sregex_iterator it(err.begin(), err.end(), line), end; it != end; ++it)
    lines.push_back((*it)[1].str() + " " + (*it)[2].str() + " " + (*it)[3].str());
  return lines;
}

// Stopped mid-epoch and resumed, a run numbers and measures its epochs as one that never stopped.
TEST(CharLMProgram, ResumedRunContinuesEpochsAndTheirPerplexity) {
  const std::string straight = fresh_dir("straight"), resumed = fresh_dir("resumed");
  // About 22 batches an epoch: the run stops in the second epoch and ends in the third.
  const ProgramRun a = run_program({"--steps", "50", "--num-steps", "30", "--out", straight});
  ASSERT_EQ(a.code, 0) << a.err;
  const std::vector<std::string> expected = epoch_lines(a.err);
  ASSERT_EQ(expected.size(), 2u) << a.err;
  const ProgramRun first = run_program({"--steps", "30", "--num-steps", "30", "--out", resumed});
  const ProgramRun second = run_program({"--steps", "50", "--num-steps", "30", "--out", resumed, "--resume"});
  ASSERT_EQ(second.code, 0) << second.err;
  std::vector<std::string> lines = epoch_lines(first.err);  // the unfinished epoch's line does not match
  for (const auto& l : epoch_lines(second.err)) lines.push_back(l);
  EXPECT_EQ(lines, expected) << first.err << second.err;
}

}  // namespace
}  // namespace tg
