// options.json: the published configurations (files in tests/data/elmo/ with AllenNLP's published
// values) and malformed files, whose errors name the file and the key.
#include "support/support.hpp"

#include <nn/elmo_options.hpp>

namespace tg::nn {
namespace {

TEST(ElmoOptions, ReadsThePublishedConfigurations) {
  const std::vector<std::pair<std::size_t, std::size_t>> filters{{1, 32},  {2, 32},  {3, 64},   {4, 128},
                                                                 {5, 256}, {6, 512}, {7, 1024}};
  ElmoOptions big = elmo_options_from_json(test::data_path("elmo/elmo_2x4096_512_2048cnn_2xhighway_options.json"));
  EXPECT_EQ(big.lstm.dim_, 4096u);
  EXPECT_EQ(big.lstm.projection_dim_, 512u);
  EXPECT_EQ(big.lstm.n_layers_, 2u);
  EXPECT_EQ(big.lstm.cell_clip_, 3);
  EXPECT_EQ(big.lstm.proj_clip_, 3);
  EXPECT_TRUE(big.lstm.use_skip_connections_);
  EXPECT_EQ(big.char_cnn.filters_, filters);
  EXPECT_EQ(big.char_cnn.n_filters(), 2048u);
  EXPECT_EQ(big.char_cnn.n_highway_, 2u);
  EXPECT_EQ(big.char_cnn.embedding_dim_, 16u);
  EXPECT_EQ(big.char_cnn.n_characters_, 262u);
  EXPECT_EQ(big.char_cnn.max_characters_per_token_, 50u);
  EXPECT_EQ(big.char_cnn.projection_dim_, 512u);
  EXPECT_EQ(big.char_cnn.activation_, ElmoActivation::Relu);

  ElmoOptions small = elmo_options_from_json(test::data_path("elmo/elmo_2x1024_128_2048cnn_1xhighway_options.json"));
  EXPECT_EQ(small.lstm.dim_, 1024u);
  EXPECT_EQ(small.lstm.projection_dim_, 128u);
  EXPECT_EQ(small.char_cnn.n_highway_, 1u);
  EXPECT_EQ(small.char_cnn.filters_, filters);
  EXPECT_EQ(small.char_cnn.projection_dim_, 128u);
}

TEST(ElmoOptions, MalformedFilesNameTheFileAndKey) {
  const std::string good = R"({"lstm": {"use_skip_connections": true, "projection_dim": 8, "cell_clip": null,
      "proj_clip": 3, "dim": 16, "n_layers": 2}, "char_cnn": {"activation": "tanh", "filters": [[1, 4], [2, 8]],
      "n_highway": 1, "embedding": {"dim": 4}, "max_characters_per_token": 50}})";
  ElmoOptions o = elmo_options_from_json_text(good, "ok.json");
  EXPECT_EQ(o.lstm.cell_clip_, 0);  // null: no clipping
  EXPECT_EQ(o.char_cnn.activation_, ElmoActivation::Tanh);
  EXPECT_EQ(o.char_cnn.n_characters_, 262u);

  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("\"dim\": 16, ", ""), "x.json"); },
                                    {"elmo_options_from_json(x.json)", "lstm.dim is missing"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("[2, 8]", "[2, -8]"), "x.json"); },
                                    {"x.json", "char_cnn.filters[1][1]", "-8"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("[2, 8]", "[2]"), "x.json"); },
                                    {"x.json", "char_cnn.filters[1] must be [width, count]"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("\"tanh\"", "\"gelu\""), "x.json"); },
                                    {"x.json", "char_cnn.activation", "\"gelu\""}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("\"proj_clip\": 3", "\"proj_clip\": \"3\""), "x.json"); },
                                    {"x.json", "lstm.proj_clip"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(good.substr(0, 40), "cut.json"); },
                                    {"elmo_options_from_json(cut.json): not valid JSON"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("\"dim\": 16", "\"dim\": 1e400"), "big.json"); },
                                    {"elmo_options_from_json(big.json): not valid JSON", "overflow"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json_text(with("\"dim\": 16", "\"dim\": 18446744073709551615"), "x.json"); },
                                    {"x.json", "lstm.dim must be an integer >= 1"}));
  EXPECT_TRUE(test::throws<IoError>([&] { elmo_options_from_json("/nonexistent/options.json"); },
                                    {"/nonexistent/options.json", "cannot open"}));
}

}  // namespace
}  // namespace tg::nn
