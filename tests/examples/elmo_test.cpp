// examples/elmo: the sentences read from a text file, the biLM's batches, and `elmo pretrain` run as a
// function: it trains (held-out perplexity far below the vocabulary's size on a repetitive text),
// writes a model.npz that loads, and every failure is one line with a non-zero exit.
#include "support/support.hpp"

#include <elmo/pretrain.hpp>
#include <elmo/program.hpp>

#include <filesystem>
#include <regex>
#include <sstream>

namespace tg::examples::elmo {
namespace {

TEST(ElmoExample, ReadsOneSentenceALineFromTheFirstColumn) {
  const auto sentences = read_sentences("Go.\tVa !\n\nI see a big cat, Tom!\tJe vois...\nno tab here\n", 5);
  EXPECT_EQ(sentences, (std::vector<Sentence>{{"go", "."}, {"i", "see", "a", "big", "cat"}, {"no", "tab", "here"}}));
}

TEST(ElmoExample, BatchPredictsTheWordsBetweenTheBoundaries) {
  const std::vector<Sentence> sentences{{"a", "cat"}, {"a", "dog", "ran"}};
  const data::Vocab vocab = bilm_vocab(sentences, 2);  // only "a" is seen twice
  ASSERT_EQ(vocab.tokens(), (std::vector<std::string>{"<unk>", "<S>", "</S>", "a"}));
  const BiLmBatch b = make_batch(sentences, vocab);
  EXPECT_EQ(b.char_ids.shape(), (std::vector<std::size_t>{2, 5, 50}));
  EXPECT_EQ(b.words, (IndexArray{{1, 3, 0, 2, 0}, {1, 3, 0, 0, 2}}));
  EXPECT_EQ(b.tokens, 5u);
}

TEST(ElmoExample, PunctuationTaskLabelsTheWordBeforeEachMark) {
  const auto t = punctuation_task({",", "no", ",", "thanks", ".", "ok", "?", "!"});
  EXPECT_EQ(t.words, (Sentence{"no", "thanks", "ok"}));
  EXPECT_EQ(t.labels, (std::vector<Index>{1, 2, 4}));  // a second mark replaces the first
}

struct ProgramRun {
  int code;
  std::string out, err;
};

ProgramRun pretrain(std::vector<std::string> args) {
  args.insert(args.begin(), {"pretrain", "--threads", "1", "--log-interval", "1000", "--char-dim", "4", "--dim", "16",
                             "--projection", "8", "--batch-size", "8", "--min-freq", "1"});
  std::ostringstream out, err;
  std::istringstream in;
  const int code = run(args, in, out, err);
  return {code, out.str(), err.str()};
}

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("elmo_program_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(ElmoProgram, PretrainLearnsARepetitiveTextAndSavesTheModel) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the cat sat on the mat .\nthe dog ran to the cat .\n";
  const std::string data = test::write_temp_file("elmo_program.txt", text), dir = fresh_dir("learns");
  const ProgramRun r = pretrain({"--data", data, "--out", dir, "--steps", "60", "--lr", "0.01", "--valid-fraction", "0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("forward ([0-9.]+), backward ([0-9.]+)"))) << r.out;
  // 11 words: a perplexity of 11 knows nothing; the text is nearly deterministic.
  EXPECT_LT(std::stod(m[1]), 3.0);
  EXPECT_LT(std::stod(m[2]), 3.0);
  for (const char* file : {"model.npz", "vocab.txt", "metrics.csv", "loss.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + file)) << file;
  const ProgramRun unvalidated = pretrain({"--data", data, "--out", fresh_dir("unvalidated"), "--steps", "2", "--valid-fraction", "0"});
  EXPECT_EQ(unvalidated.out, "held-out perplexity: none (--valid-fraction 0)\n") << unvalidated.err;
  nn::ElmoOptions options;
  options.char_cnn.embedding_dim(4).projection_dim(8);
  options.lstm.dim(16).projection_dim(8);
  nn::ElmoBiLm loaded(options.vocab_size(data::Vocab::load(dir + "/vocab.txt").size()));
  EXPECT_NO_THROW(loaded.load(dir + "/model.npz"));
}

TEST(ElmoExample, NearestNeighboursByCosineOfCentredVectors) {
  // Uncentred all three are alike (cosines above 0.6); centred on their mean (1, 1), (2, 1) and
  // (3, 1) point the same way and (-2, 1) the other.
  const xt::xtensor<float, 2> v{{2, 1}, {3, 1}, {-2, 1}};
  const auto nearest = nearest_neighbours(v, 2);
  ASSERT_EQ(nearest.size(), 3u);
  EXPECT_EQ(nearest[0][0].first, 1u);
  EXPECT_NEAR(nearest[0][0].second, 1.0, 1e-9);
  EXPECT_NEAR(nearest[0][1].second, -1.0, 1e-9);
  EXPECT_NEAR(nearest[2][0].second, -1.0, 1e-9);
}

// The features of a word: its nearest token and their cosine, from a `features` output line.
std::pair<std::string, double> nearest_of(const std::string& output, const std::string& token) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(std::regex_replace(token, std::regex(R"([\[\].])"), R"(\$&)") +
                                               "\t(\\S+) ([-0-9.]+)")))
    return {"", 0};
  return {m[1], std::stod(m[2])};
}

TEST(ElmoProgram, FeaturesTellTheSameWordInTwoContextsApart) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "i can fish .\nthe fish is big .\n";
  const std::string data = test::write_temp_file("elmo_features.txt", text), dir = fresh_dir("features");
  ASSERT_EQ(pretrain({"--data", data, "--out", dir, "--steps", "20", "--lr", "0.01"}).code, 0);
  const auto features = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"features", "--model", dir, "--neighbours", "1"});
    std::istringstream in("i can fish .\nthe fish is big .\n");
    std::ostringstream out, err;
    EXPECT_EQ(run(args, in, out, err), 0) << err.str();
    return out.str();
  };
  // Layer 0 encodes the word alone: its two occurrences are one vector; the layers' mix sees the context.
  const auto alone = nearest_of(features({"--layer", "0"}), "fish[1.3]");
  EXPECT_EQ(alone.first, "fish[2.2]");
  EXPECT_NEAR(alone.second, 1.0, 1e-3);
  const std::string mixed = features({"--vectors"});
  EXPECT_EQ(std::count(mixed.begin(), mixed.end(), '\n'), 9);
  EXPECT_LT(nearest_of(mixed, "fish[1.3]").second, 0.999);

  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_NE(run({"features", "--model", dir, "--layer", "3"}, in, out, err), 0);
  EXPECT_EQ(err.str(), fmt::format("elmo: features: --layer 3: the biLM in {} has layers 0 to 2\n", dir));
  std::ostringstream err2;
  EXPECT_NE(run({"features", "--model", dir}, in, out, err2), 0);
  EXPECT_EQ(err2.str(), "elmo: features: no sentences on standard input (one a line)\n");
}

TEST(ElmoProgram, DownstreamScoresBothTaggers) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "can you swim ?\nyou can swim .\nno , thanks !\n";
  const std::string data = test::write_temp_file("elmo_downstream.txt", text), dir = fresh_dir("downstream");
  ASSERT_EQ(pretrain({"--data", data, "--out", dir, "--steps", "10"}).code, 0);
  std::istringstream in;
  std::ostringstream out, err;
  ASSERT_EQ(run({"downstream", "--model", dir, "--data", data, "--steps", "10"}, in, out, err), 0) << err.str();
  EXPECT_NE(err.str().find("90 sentences (81 train, 9 held out)"), std::string::npos) << err.str();
  EXPECT_TRUE(std::regex_search(out.str(), std::regex("\\(a\\) word embeddings: +accuracy [0-9.]+ on all words, [0-9.]+ "
                                                      "on sentence ends[^\\n]*\\n\\(b\\) frozen ELMo"))) << out.str();
  const std::string one = test::write_temp_file("elmo_downstream_one.txt", "just one .\n");
  std::ostringstream err2;
  EXPECT_NE(run({"downstream", "--model", dir, "--data", one}, in, out, err2), 0);
  EXPECT_EQ(err2.str(), "elmo: downstream: --data " + one + " has too few sentences to train and score\n");
}

TEST(ElmoProgram, EveryFailureIsOneLineAndANonZeroExit) {
  const std::string data = test::write_temp_file("elmo_program_errors.txt", "a b\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{}, "elmo: pretrain: give the text to train on with --data (one sentence a line)\n"},
      {{"--data", data, "--num-steps", "5"}, "elmo: pretrain: --num-steps does not apply: the biLM reads whole sentences (see --max-words)\n"},
      {{"--data", data, "--resume"}, "elmo: pretrain: --resume is not supported yet; start a new run (model.npz holds the weights)\n"},
      {{"--data", data, "--dim", "0"}, "elmo: --dim: 0 is less than 1 (see --help)\n"},
  };
  for (const auto& [args, message] : cases) {
    auto with_out = args;
    with_out.insert(with_out.end(), {"--out", fresh_dir("errors")});
    const ProgramRun r = pretrain(with_out);
    EXPECT_NE(r.code, 0);
    EXPECT_EQ(r.err, message);
  }
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_NE(run({"finetune"}, in, out, err), 0);
  EXPECT_EQ(err.str(), "elmo: A subcommand is required (see --help)\n");
}

TEST(ElmoProgram, PretrainsOnTheEnglishSideOfFra) {
  const std::string path = test::shared_data_path("fra.first50k.txt");
  if (path.empty()) GTEST_SKIP() << "fra.first50k.txt not found beside the repository (../shared/data)";
  const ProgramRun r = pretrain({"--data", path, "--max-sentences", "400", "--steps", "5", "--out", fresh_dir("fra")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("400 sentences (360 train, 40 held out)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tg::examples::elmo
