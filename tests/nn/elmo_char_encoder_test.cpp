// ElmoCharacterEncoder: shapes, AllenNLP's parameter names, the published sizes, gradcheck, errors.
// Its parity with AllenNLP's encoder is in elmo_test.cpp (the reference covers every layer).
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo_char_encoder.hpp>
#include <nn/elmo_options.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

ElmoCharEncoderOptions tiny() {
  return ElmoCharEncoderOptions().embedding_dim(3).filters({{1, 2}, {3, 3}}).n_highway(1).projection_dim(4);
}

TEST(ElmoCharacterEncoder, ShapesNamesAndTheMaskRow) {
  ElmoCharacterEncoder encoder(tiny());
  std::vector<std::string> names;
  for (const auto& [name, p] : encoder.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"_char_embedding_weights", "char_conv_0.weight", "char_conv_0.bias",
                                             "char_conv_1.weight", "char_conv_1.bias", "_highways._layers.0.weight",
                                             "_highways._layers.0.bias", "_projection.weight", "_projection.bias"}));
  EXPECT_EQ(encoder.char_embedding.shape(), (Shape{262, 3}));
  EXPECT_TRUE(xt::all(xt::equal(xt::view(encoder.char_embedding.data<float>(), 0, xt::all()), 0.0f)));
  Tensor y = encoder.forward(data::elmo_batch_to_ids({{"a", "cat"}, {"hi"}}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 4}));
}

TEST(ElmoCharacterEncoder, PublishedSizes) {
  auto count = [](const char* file) {
    ElmoOptions o = elmo_options_from_json(test::data_path(std::string("elmo/") + file));
    return ElmoCharacterEncoder(o.char_cnn).num_parameters();
  };
  // 262 x 16 characters, 2048 filters of widths 1-7, one highway layer of 2048, projection to 128. (The
  // 2x4096 model's encoder, 18,037,856 parameters, takes a second to draw: ElmoOptions tests its file.)
  EXPECT_EQ(count("elmo_2x1024_128_2048cnn_1xhighway_options.json"), 8858336u);
}

TEST(ElmoCharacterEncoder, Gradcheck) {
  for (ElmoActivation activation : {ElmoActivation::Relu, ElmoActivation::Tanh}) {
    ElmoCharacterEncoder encoder(tiny().activation(activation).max_characters_per_token(6).n_characters(8));
    encoder.to(kFloat64);
    // Characters 1..7. Row 0 (the mask's) is a constant, so the gradcheck leaves id 0 out...
    IndexArray ids{{{1, 3, 5, 2, 7, 1}, {1, 4, 2, 2, 5, 6}}, {{6, 6, 1, 2, 3, 4}, {7, 7, 7, 7, 7, 7}}};
    EXPECT_TRUE(gradcheck(encoder, [&] { return encoder.forward(ids); }).ok);
    // ... and no gradient reaches it: it stays the zero vector.
    IndexArray masked{{{1, 3, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}}};
    encoder.zero_grad();
    sum(encoder.forward(masked)).backward();
    EXPECT_TRUE(xt::all(xt::equal(xt::view(encoder.char_embedding.grad().data<double>(), 0, xt::all()), 0.0)));
  }
}

TEST(ElmoCharacterEncoder, BadOptionsAndIdsAreNamed) {
  EXPECT_TRUE(test::throws<ValueError>([] { ElmoCharacterEncoder(tiny().filters({{1, 2}, {51, 3}})); },
                                       {"ElmoCharacterEncoder(", "filter 1 is [51, 3]", "[1, 50]"}));
  ElmoCharacterEncoder encoder(tiny());
  EXPECT_TRUE(test::throws<ShapeError>([&] { encoder.forward(IndexArray{{1, 2}}); },
                                       {"ElmoCharacterEncoder(", "[1, 2]", "(N, T, 50)"}));
  IndexArray ids = data::elmo_batch_to_ids({{"a"}});
  ids(0, 0, 3) = 262;
  EXPECT_TRUE(test::throws<IndexError>([&] { encoder.forward(ids); }, {"262", "262 rows"}));
}

}  // namespace
}  // namespace tg::nn
