// examples/translate: a toy word mapping is learnt from a generated file (and not when the targets
// are shuffled), a checkpointed run resumed by fresh objects continues bit-exactly, and the program
// fails in one line naming the option, file and line at fault.
#include "translate/program.hpp"
#include "translate/translate.hpp"

#include "pretend_replicas.hpp"
#include "support/support.hpp"

#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace tg {
namespace {

namespace tr = examples::translate;

// "three one four" <TAB> "trois un quatre": a word-for-word mapping, 3 to 6 words a sentence. With
// `shuffled`, each target belongs to another source: nothing to learn but the word frequencies.
std::string toy_pairs(std::size_t n, bool shuffled) {
  const std::vector<std::string> en{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  const std::vector<std::string> fr{"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"};
  std::mt19937 random(7);
  std::vector<std::string> sources, targets;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s, t;
    for (std::size_t w = 0, len = 3 + random() % 4; w < len; ++w) {
      const std::size_t k = random() % en.size();
      s += (w ? " " : "") + en[k];
      t += (w ? " " : "") + fr[k];
    }
    sources.push_back(s + ".");
    targets.push_back(t + ".");
  }
  if (shuffled) std::shuffle(targets.begin(), targets.end(), random);
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += sources[i] + "\t" + targets[i] + "\n";
  return text;
}

struct ProgramRun {
  int code;
  std::string out, err;
};

// Runs translate with `args`, and small-model defaults unless `args` sets them.
ProgramRun run_program(std::vector<std::string> args, const std::string& input = "") {
  const std::vector<std::pair<std::string, std::string>> defaults{
      {"--threads", "1"}, {"--embed", "16"}, {"--hidden", "32"}, {"--layers", "1"}, {"--dropout", "0"},
      {"--batch-size", "32"}, {"--log-interval", "1000"}};
  for (const auto& [flag, value] : defaults)
    if (std::find(args.begin(), args.end(), flag) == args.end()) args.insert(args.end(), {flag, value});
  std::istringstream in(input);
  std::ostringstream out, err;
  const int code = tr::run(args, in, out, err);
  return {code, out.str(), err.str()};
}

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("translate_program_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

double held_out_bleu(const std::string& err) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex("held-out corpus BLEU-4 ([0-9.]+)"))) return -1;
  return std::stod(m[1]);
}

// The error line, which must be the last and only "translate:" line starting with `start`.
void expect_one_line_error(const ProgramRun& r, const std::string& start) {
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err.rfind("translate: " + start, 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Translate, BadOptionsFailInOneLine) {
  expect_one_line_error(run_program({"--layers", "0"}), "--layers: 0 is less than 1");
  expect_one_line_error(run_program({"--model", "transformer"}), "--model: transformer not in {seq2seq,attention}");
  expect_one_line_error(run_program({"--out", fresh_dir("nodata")}), "--data is required to train");
  expect_one_line_error(run_program({"--data", "/nonexistent/fra.txt"}), "--data: File does not exist");
  expect_one_line_error(run_program({"--out", fresh_dir("nothing"), "--translate", "hi ."}), "no checkpoint in");
  expect_one_line_error(run_program({"--data", "/dev/null", "--model", "seq2seq", "--heatmap", "a.svg"}),
                        "--heatmap: the seq2seq model has no attention weights");
}

TEST(Translate, MalformedFileNamesFileAndLine) {
  const std::string path = test::write_temp_file("pairs.txt", "go .\tva .\nno tab here\n");
  const auto r = run_program({"--data", path, "--out", fresh_dir("malformed")});
  expect_one_line_error(r, "ParallelCorpus: " + path + ":2: line at byte offset 10 has no tab");
}

TEST(Translate, LearnsAToyMappingThatShuffledTargetsDoNotTeach) {
  const auto train = [](bool shuffled, const std::string& dir) {
    const std::string path = test::write_temp_file(shuffled ? "shuffled.txt" : "toy.txt", toy_pairs(1200, shuffled));
    return run_program({"--data", path, "--out", dir, "--steps", "300", "--lr", "0.01", "--valid-fraction", "0.1",
                        "--translate", "three one four nine ."});
  };
  const std::string dir = fresh_dir("toy");
  const auto learnt = train(false, dir);
  ASSERT_EQ(learnt.code, 0) << learnt.err;
  EXPECT_GT(held_out_bleu(learnt.err), 0.8) << learnt.err;
  EXPECT_EQ(learnt.out, "three one four nine .\ttrois un quatre neuf .\n");
  const auto control = train(true, fresh_dir("toy_shuffled"));
  ASSERT_EQ(control.code, 0) << control.err;
  EXPECT_LT(held_out_bleu(control.err), 0.2) << control.err;

  // The trained run translates from standard input, greedy and with a beam, and draws its attention.
  const std::string heatmap = dir + "/attention.svg";
  const auto again = run_program({"--out", dir, "--translate", "-", "--beam", "3", "--heatmap", heatmap},
                                 "two two five .\n\nseven one eight .\n");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "two two five .\tdeux deux cinq .\nseven one eight .\tsept un huit .\n");
  std::ifstream svg(heatmap);
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(">cinq<"), std::string::npos);
  // A translation may not silently use another model than the run's.
  expect_one_line_error(run_program({"--out", dir, "--translate", "one .", "--model", "seq2seq"}),
                        "--resume: --model seq2seq differs");
}

TEST(Translate, ResumedTrainerContinuesBitExactly) {
  const auto pairs = data::ParallelCorpus::parse(toy_pairs(200, false), "toy");
  auto [source_vocab, target_vocab] = tr::build_vocabs(pairs, 1);
  const tr::Corpus corpus = tr::encode(pairs, source_vocab, target_vocab);
  const tr::ModelOptions model{.model = "attention", .embed = 8, .hidden = 8, .layers = 2, .dropout = 0.2};
  const tr::TrainerOptions options{.batch_size = 16, .num_steps = 6, .seed = 3};
  const auto make = [&] {
    manual_seed(1);
    return tr::Trainer(tr::make_model(source_vocab.size(), target_vocab.size(), model), corpus, options);
  };
  const auto train = [](tr::Trainer& t, std::size_t steps) {
    while (t.steps() < steps) t.step();
  };
  const std::string dir = fresh_dir("resume");
  std::filesystem::create_directories(dir);
  auto first = make();
  train(first, 17);  // past an epoch's end (13 batches), with dropout drawing random numbers
  first.save(dir);
  train(first, 30);
  auto second = make();
  second.resume(dir);
  EXPECT_EQ(second.steps(), 17u);
  train(second, 30);
  const auto a = first.model().named_parameters(), b = second.model().named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(test::same_bits(a[i].second, b[i].second)) << a[i].first;
  EXPECT_TRUE(test::throws<IoError>([&] { second.resume(fresh_dir("empty")); }, {"no checkpoint in"}));
}

TEST(Translate, DataParallelRefusesTooSmallABatchAndACheckpointOfAnotherWorldSize) {
  const auto pairs = data::ParallelCorpus::parse(toy_pairs(100, false), "toy");
  auto [source_vocab, target_vocab] = tr::build_vocabs(pairs, 1);
  const tr::Corpus corpus = tr::encode(pairs, source_vocab, target_vocab);
  const auto model = [&] { return tr::make_model(source_vocab.size(), target_vocab.size(), {.embed = 4, .hidden = 4}); };
  EXPECT_TRUE(test::throws<ValueError>(
      [&] { tr::Trainer(model(), corpus, {.batch_size = 2}, std::make_shared<test::PretendReplicas>(3)); },
      {"translate: a batch of 2 pairs cannot be shared by 3 processes; give --batch-size at least 3"}));

  const std::string dir = fresh_dir("world_size");
  std::filesystem::create_directories(dir);
  tr::Trainer(model(), corpus, {.batch_size = 4}).save(dir);
  tr::Trainer two(model(), corpus, {.batch_size = 4}, std::make_shared<test::PretendReplicas>(2));
  EXPECT_TRUE(test::throws<ValueError>([&] { two.resume(dir); },
                                       {"--resume: the run in", "was trained by 1 process and this is 2",
                                        "continue it without mpirun"}));
}

// Every model option together: a bidirectional 2-layer LSTM encoder (its decoder 2 x hidden wide),
// both decoders, beam search.
TEST(Translate, BidirectionalLstmWithBeamSearchRunsForBothModels) {
  const std::string path = test::write_temp_file("bidirectional.txt", toy_pairs(200, false));
  for (const std::string model : {"seq2seq", "attention"}) {
    const auto r = run_program({"--data", path, "--steps", "5", "--out", fresh_dir("bi_" + model), "--model", model,
                                "--bidirectional", "--cell", "lstm", "--layers", "2", "--beam", "3", "--translate",
                                "one two ."});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("one two .\t", 0), 0u) << r.out;
    EXPECT_NE(r.err.find("(" + model + ", beam 3)"), std::string::npos) << r.err;
  }
}

std::string file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

TEST(Translate, ProgramResumeTakesTheRecordedOptionsAndEndsWhereAnUninterruptedRunEnds) {
  const std::string path = test::write_temp_file("resume.txt", toy_pairs(300, false));
  const std::vector<std::string> shape{"--hidden", "8", "--embed", "8", "--layers", "2", "--dropout", "0.2"};
  const auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), shape.begin(), shape.end());
    return args;
  };
  const std::string whole = fresh_dir("whole"), parts = fresh_dir("parts");
  ASSERT_EQ(run_program(with({"--data", path, "--steps", "14", "--out", whole})).code, 0);
  ASSERT_EQ(run_program(with({"--data", path, "--steps", "6", "--out", parts})).code, 0);
  // Only --data, --out and the new budget (no run_program defaults): the rest comes from options.txt.
  std::istringstream in;
  std::ostringstream out, err;
  ASSERT_EQ(tr::run({"--data", path, "--steps", "14", "--out", parts, "--resume", "--threads", "1"}, in, out, err), 0)
      << err.str();
  EXPECT_NE(err.str().find("resumed " + parts + " at step 6"), std::string::npos) << err.str();
  EXPECT_EQ(file_bytes(whole + "/model.npz"), file_bytes(parts + "/model.npz"));
}

TEST(Translate, CompareWritesBothModelsAndNamesABadLine) {
  const std::string a = fresh_dir("cmp_a"), b = fresh_dir("cmp_b"), out = fresh_dir("cmp");
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  std::ofstream(a + "/bleu_by_length.csv") << "model,length,sentences,bleu\nseq2seq,3,10,0.5\nseq2seq,4,8,0.25\n";
  std::ofstream(b + "/bleu_by_length.csv") << "model,length,sentences,bleu\nattention,3,10,0.75\n";
  const auto r = run_program({"--compare", a, b, "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream csv(out + "/bleu_by_length.csv");
  const std::string text((std::istreambuf_iterator<char>(csv)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "model,length,sentences,bleu\nseq2seq,3,10,0.500000\nseq2seq,4,8,0.250000\n"
                  "attention,3,10,0.750000\n");
  EXPECT_TRUE(std::filesystem::exists(out + "/bleu_by_length.svg"));
  std::ofstream(b + "/bleu_by_length.csv") << "model,length,sentences,bleu\nattention,three,10,0.75\n";
  expect_one_line_error(run_program({"--compare", a, b, "--out", out}), b + "/bleu_by_length.csv:2: expected");
  expect_one_line_error(run_program({"--compare", fresh_dir("cmp_none"), "--out", out}), "--compare: ");
}

TEST(Translate, TrainsOnTatoebaPairs) {
  const std::string path = test::shared_data_path("fra.first50k.txt");
  if (path.empty()) GTEST_SKIP() << "fra.first50k.txt not found beside the repository (../shared/data)";
  const auto r = run_program({"--data", path, "--max-pairs", "2000", "--steps", "30", "--out", fresh_dir("fra"),
                              "--eval-sentences", "50", "--translate", "I am cold."});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("1800 training and 200 held-out pairs"), std::string::npos) << r.err;
  EXPECT_GE(held_out_bleu(r.err), 0);
  EXPECT_EQ(r.out.rfind("I am cold.\t", 0), 0u) << r.out;
}

}  // namespace
}  // namespace tg
