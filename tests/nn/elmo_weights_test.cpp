// AllenNLP's weights.hdf5: a small random file in exactly its layout (tools/references/elmo.py) loads to
// the parameters AllenNLP's loader makes of it, and runs as AllenNLP's forward; files that disagree with
// their options.json, truncated files and non-HDF5 files are named with the dataset. Skipped, saying
// so, in a build without HDF5, where the loader's own error is checked instead.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo.hpp>
#include <nn/elmo_weights.hpp>

#include <filesystem>
#include <fstream>

namespace tg::nn {
namespace {

const std::string kOptions = "elmo/small_options.json", kWeights = "elmo/small_weights.hdf5";

#define SKIP_WITHOUT_HDF5() \
  if (!elmo_hdf5_available()) GTEST_SKIP() << "this tapegrad was built without HDF5 (libhdf5-dev): weights.hdf5 is not read"

TEST(ElmoWeights, WithoutHdf5TheLoaderSaysSo) {
  if (elmo_hdf5_available()) GTEST_SKIP() << "built with HDF5: see the other tests";
  EXPECT_TRUE(test::throws<IoError>([] { load_allennlp_elmo(test::data_path(kOptions), test::data_path(kWeights)); },
                                    {"small_weights.hdf5", "built without HDF5", "libhdf5-dev"}));
}

TEST(ElmoWeights, LoadsAllenNlpsLayoutAsAllenNlpDoes) {
  SKIP_WITHOUT_HDF5();
  auto bilm = load_allennlp_elmo(test::data_path(kOptions), test::data_path(kWeights));
  EXPECT_FALSE(bilm->softmax);
  test::Reference ref("elmo/reference.npz");
  // Transposes, gate order, forget bias, negated carry gate, the mask's character row: every parameter
  // as AllenNLP's loader makes it (float32 values, so exactly).
  StateDict expected = ref.with_prefix("state._elmo_lstm.");
  std::size_t checked = 0;
  for (const auto& [name, p] : bilm->named_parameters()) {
    ASSERT_TRUE(expected.count(name)) << name;
    EXPECT_EQ(test::max_abs_diff(p, expected.at(name)), 0) << name;
    ++checked;
  }
  EXPECT_EQ(checked, expected.size());
  Elmo elmo(bilm, ElmoMixOptions().dropout(0));
  elmo.to(kFloat64);
  auto chars = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids({{"The", "cat", "sat", "on", "mats"}, {"\xc3\x89lan", "vital"}, {"a"}}));
  ElmoBiLmOutput layers = elmo.bilm->forward(chars.ids);
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_TRUE(test::all_close(layers.activations[k], ref.at("activations." + std::to_string(k)), 1e-10)) << k;
}

std::string options_with(const std::string& from, const std::string& to) {
  std::ifstream in(test::data_path(kOptions));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(from);
  if (at == std::string::npos) ADD_FAILURE() << "small_options.json has no " << from;
  else text.replace(at, from.size(), to);
  return test::write_temp_file("options.json", text);
}

TEST(ElmoWeights, FilesThatDisagreeWithTheirOptionsAreNamed) {
  SKIP_WITHOUT_HDF5();
  const std::string weights = test::data_path(kWeights);
  auto load = [&](const std::string& options) { load_allennlp_elmo(options, weights); };
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("[3, 6]", "[3, 7]")); },
                                    {"load_allennlp_weights(", "small_weights.hdf5", "dataset CNN/W_cnn_2 has shape [1, 3, 4, 6], expected [1, 3, 4, 7]"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with(", [3, 6]", "")); },
                                    {"small_weights.hdf5", "the file has CNN/W_cnn_2, but options.json lists 2 filters"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("\"n_layers\": 2", "\"n_layers\": 3")); },
                                    {"small_weights.hdf5", "no dataset RNN_0/RNN/MultiRNNCell/Cell2/LSTMCell/W_0"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("\"n_layers\": 2", "\"n_layers\": 1")); },
                                    {"the file has RNN_0/RNN/MultiRNNCell/Cell1, but options.json has n_layers 1"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("\"dim\": 10", "\"dim\": 11")); },
                                    {"dataset RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0 has shape [12, 40], expected [12, 44]"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("\"n_highway\": 2", "\"n_highway\": 3")); },
                                    {"small_weights.hdf5", "no dataset CNN_high_2/W_"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load(options_with("\"dim\": 4", "\"dim\": 5")); },
                                    {"dataset char_embed has shape [261, 4], expected [261, 5]"}));
}

TEST(ElmoWeights, TruncatedAndForeignFilesAreNamed) {
  SKIP_WITHOUT_HDF5();
  std::ifstream in(test::data_path(kWeights), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = test::write_temp_file("truncated.hdf5", bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(test::throws<IoError>([&] { load_allennlp_elmo(test::data_path(kOptions), truncated); },
                                    {"load_allennlp_weights(", "truncated.hdf5", "cannot open"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load_allennlp_elmo(test::data_path(kOptions), test::data_path(kOptions)); },
                                    {"small_options.json", "not an HDF5 file"}));
  EXPECT_TRUE(test::throws<IoError>([&] { load_allennlp_elmo(test::data_path(kOptions), "/nonexistent/weights.hdf5"); },
                                    {"/nonexistent/weights.hdf5"}));
}

}  // namespace
}  // namespace tg::nn
