// Elmo: a frozen biLM and trainable scalar mixes, the boundaries removed; every layer against
// AllenNLP's code (transcribed in tools/references/elmo.py, on a small random model in its layout),
// in float64 and float32; the .npz round trip.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo.hpp>
#include <nn/module_gradcheck.hpp>

#include <filesystem>
#include <iostream>

namespace tg::nn {
namespace {

ElmoOptions tiny() {
  ElmoOptions o;
  o.char_cnn = ElmoCharEncoderOptions().embedding_dim(3).filters({{1, 2}, {2, 3}}).n_highway(1).projection_dim(3);
  o.lstm = ElmoLstmOptions().dim(4).projection_dim(3).n_layers(2);
  return o;
}

TEST(Elmo, FreezesTheBiLmAndMixesItsLayers) {
  auto bilm = std::make_shared<ElmoBiLm>(tiny());
  Elmo elmo(bilm, ElmoMixOptions().num_output_representations(2).dropout(0.5));
  elmo.eval();
  std::vector<std::string> trainable;
  for (const auto& [name, p] : elmo.named_parameters())
    if (p.requires_grad()) trainable.push_back(name);
  EXPECT_EQ(trainable, (std::vector<std::string>{"scalar_mix_0.gamma", "scalar_mix_0.scalar_parameters.0",
                                                 "scalar_mix_0.scalar_parameters.1", "scalar_mix_0.scalar_parameters.2",
                                                 "scalar_mix_1.gamma", "scalar_mix_1.scalar_parameters.0",
                                                 "scalar_mix_1.scalar_parameters.1", "scalar_mix_1.scalar_parameters.2"}));
  EXPECT_EQ(elmo.named_parameters().front().first, "_elmo_lstm._token_embedder._char_embedding_weights");

  auto batch = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids({{"the", "cat", "sat"}, {"a"}}));
  ElmoOutput out = elmo.forward(batch.ids);
  ASSERT_EQ(out.elmo_representations.size(), 2u);
  EXPECT_EQ(out.mask, (Mask{{true, true, true}, {true, false, false}}));
  // In eval mode, at w = 0 and gamma = 1: the mean of the layers, from position 1 (after <S>) on.
  ElmoBiLmOutput layers = bilm->forward(batch.ids);
  Tensor mean = (layers.activations[0] + layers.activations[1] + layers.activations[2]) / 3.0;
  Tensor expected = narrow(mean, 1, 1, 3) * unsqueeze(tensor({{1, 1, 1}, {1, 0, 0}}), -1);
  EXPECT_LT(test::max_abs_diff(out.elmo_representations[1], expected), 1e-6);

  Elmo kept(bilm, ElmoMixOptions().keep_sentence_boundaries(true));
  kept.eval();
  ElmoOutput with_boundaries = kept.forward(batch.ids);
  EXPECT_EQ(with_boundaries.mask, batch.mask);
  EXPECT_LT(test::max_abs_diff(with_boundaries.elmo_representations[0], mean), 1e-6);
}

TEST(Elmo, OnlyTheMixesTrain) {
  auto bilm = std::make_shared<ElmoBiLm>(tiny());
  Elmo elmo(bilm, ElmoMixOptions().dropout(0));
  auto batch = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids({{"the", "cat"}}));
  sum(elmo.forward(batch.ids).elmo_representations[0]).backward();
  for (const auto& [name, p] : elmo.named_parameters())
    EXPECT_EQ(p.grad().defined(), name.starts_with("scalar_mix_0.")) << name;
}

TEST(Elmo, Gradcheck) {
  // The trainable part, the mixes (one with layer norm), through the frozen biLM and the boundary removal.
  for (bool layer_norm : {false, true}) {
    auto bilm = std::make_shared<ElmoBiLm>(tiny());
    Elmo elmo(bilm, ElmoMixOptions().dropout(0).do_layer_norm(layer_norm));
    elmo.to(kFloat64);
    elmo.scalar_mixes[0]->gamma.data<double>()(0) = 1.4;
    (*elmo.scalar_mixes[0]->scalar_parameters)[1].data<double>()(0) = -0.7;
    auto batch = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids({{"the", "cat", "sat"}, {"a"}}));
    EXPECT_TRUE(gradcheck(elmo, [&] { return elmo.forward(batch.ids).elmo_representations[0]; }).ok);
  }
}

TEST(Elmo, RemoveSentenceBoundariesAsAllenNlp) {
  // As AllenNLP's test_remove_sentence_boundaries: lengths 4 and 2 of 5 positions (with <S>, </S>).
  Tensor x = reshape(arange(0, 30), {2, 5, 3});
  Mask mask{{true, true, true, true, false}, {true, true, false, false, false}};
  auto [inner, inner_mask] = remove_sentence_boundaries(x, mask);
  EXPECT_EQ(inner_mask, (Mask{{true, true, false}, {false, false, false}}));
  EXPECT_LT(test::max_abs_diff(inner, tensor({{{3, 4, 5}, {6, 7, 8}, {0, 0, 0}}, {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}})), 1e-12);
  EXPECT_TRUE(test::throws<ShapeError>([&] { remove_sentence_boundaries(x, xt::ones<bool>({1, 1})); },
                                       {"remove_sentence_boundaries", "[2, 5, 3]", "[1, 1]"}));
}

// The reference model (state dict under AllenNLP's names) as a tapegrad Elmo of the given dtype.
std::shared_ptr<Elmo> reference_elmo(const test::Reference& ref, Dtype dtype) {
  auto bilm = std::make_shared<ElmoBiLm>(elmo_options_from_json(test::data_path("elmo/small_options.json")));
  auto elmo = std::make_shared<Elmo>(bilm, ElmoMixOptions().dropout(0));
  elmo->to(dtype);
  elmo->load_state_dict(ref.with_prefix("state."));  // strict: every AllenNLP name matches one of ours
  return elmo;
}

const std::vector<std::vector<std::string>> kSentences{{"The", "cat", "sat", "on", "mats"}, {"\xc3\x89lan", "vital"}, {"a"}};

TEST(Elmo, MatchesAllenNlpsCodeLayerByLayer) {
  test::Reference ref("elmo/reference.npz");
  auto chars = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(kSentences));
  EXPECT_EQ(chars.ids, test::reference_ids("elmo/reference.npz", "ids"));  // batch_to_ids + boundaries
  EXPECT_EQ(xt::cast<Index>(chars.mask), test::reference_ids("elmo/reference.npz", "mask"));

  for (Dtype dtype : {kFloat64, kFloat32}) {
    // float64 runs the file's float32 weights exactly as the reference; float32 is what users run.
    const double rtol = dtype == kFloat64 ? 1e-10 : 1e-5;
    auto elmo = reference_elmo(ref, dtype);
    Tensor tokens = elmo->bilm->token_embedder->forward(chars.ids);
    EXPECT_TRUE(test::all_close(tokens, ref.at("token_embedding").to(dtype), rtol)) << "token encoder, " << dtype_name(dtype);
    ElmoBiLmOutput layers = elmo->bilm->forward(chars.ids);
    double worst = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const Tensor expected = ref.at("activations." + std::to_string(k)).to(dtype);
      EXPECT_TRUE(test::all_close(layers.activations[k], expected, rtol)) << "layer " << k << ", " << dtype_name(dtype);
      worst = std::max(worst, test::max_abs_diff(layers.activations[k], expected));
    }
    ElmoOutput out = elmo->forward(chars.ids);
    EXPECT_EQ(xt::cast<Index>(out.mask), test::reference_ids("elmo/reference.npz", "elmo_mask"));
    EXPECT_TRUE(test::all_close(out.elmo_representations[0], ref.at("representation").to(dtype), rtol));
    worst = std::max(worst, test::max_abs_diff(out.elmo_representations[0], ref.at("representation")));
    // The scalar mix's gradients (the only trainable part).
    sum(out.elmo_representations[0] * ref.at("dy").to(dtype)).backward();
    for (const auto& [name, p] : elmo->scalar_mixes[0]->named_parameters())
      EXPECT_TRUE(test::all_close(p.grad(), ref.at("grad." + name).to(dtype), rtol)) << name;
    std::cout << "ELMo parity with AllenNLP's code, " << dtype_name(dtype) << ": max abs error " << worst << "\n";
  }
}

TEST(Elmo, LayerNormedMixMatchesAllenNlp) {
  test::Reference ref("elmo/reference.npz");
  auto elmo = reference_elmo(ref, kFloat64);
  auto chars = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(kSentences));
  ElmoBiLmOutput layers = elmo->bilm->forward(chars.ids);
  ScalarMix normed(ScalarMixOptions(3).do_layer_norm(true));
  normed.to(kFloat64);  // then the reference's float64 weights, not their float32 roundings
  const double w[] = {0.3, -0.5, 1.2};
  for (std::size_t k = 0; k < 3; ++k) (*normed.scalar_parameters)[k].data<double>()(0) = w[k];
  normed.gamma.data<double>()(0) = 0.8;
  EXPECT_TRUE(test::all_close(normed.forward(layers.activations, layers.mask), ref.at("layer_normed"), 1e-10));
}

TEST(Elmo, RoundTripsThroughNpz) {
  test::Reference ref("elmo/reference.npz");
  auto elmo = reference_elmo(ref, kFloat32);
  const std::string path = (std::filesystem::temp_directory_path() / "tapegrad_elmo.npz").string();
  elmo->save(path);
  auto bilm = std::make_shared<ElmoBiLm>(elmo_options_from_json(test::data_path("elmo/small_options.json")));
  Elmo loaded(bilm, ElmoMixOptions().dropout(0));
  loaded.load(path);
  auto chars = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(kSentences));
  EXPECT_TRUE(test::same_bits(loaded.forward(chars.ids).elmo_representations[0], elmo->forward(chars.ids).elmo_representations[0]));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tg::nn
