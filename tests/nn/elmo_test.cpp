// Elmo: a frozen biLM and trainable scalar mixes, the boundaries removed; parity of every layer with
// AllenNLP's code (tools/references/elmo.py) is added with the reference files.
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo.hpp>

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

}  // namespace
}  // namespace tg::nn
