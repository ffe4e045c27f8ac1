// ElmoBiLm: activations (layer 0 duplicated and masked), lengths, the LM loss's targets, gradcheck,
// a few training steps, the .npz round trip, errors.
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>
#include <nn/elmo_bilm.hpp>
#include <nn/elmo_options.hpp>
#include <nn/module_gradcheck.hpp>
#include <optim/optim.hpp>

#include <filesystem>

namespace tg::nn {
namespace {

ElmoOptions tiny(std::size_t vocab = 6) {
  ElmoOptions o;
  o.char_cnn = ElmoCharEncoderOptions().embedding_dim(3).filters({{1, 2}, {2, 3}}).n_highway(1).projection_dim(3);
  o.lstm = ElmoLstmOptions().dim(4).projection_dim(3).n_layers(2).cell_clip(3).proj_clip(3);
  return o.vocab_size(vocab);
}

data::BoundedIds chars(const std::vector<std::vector<std::string>>& sentences) {
  return data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(sentences));
}

TEST(ElmoBiLm, ThePublishedSmallModelHasAllenNlpsParameterCount) {
  // AllenNLP's model table (allennlp.org/elmo) gives the small model 13.6 million parameters: the
  // 8,858,336 of the character encoder and four projected LSTMs of (128 + 128) x 4096 + 4096 +
  // 1024 x 128. The file in tests/data has the published options (the 2x4096 one: ElmoOptions).
  ElmoBiLm bilm(elmo_options_from_json(test::data_path("elmo/elmo_2x1024_128_2048cnn_1xhighway_options.json")));
  EXPECT_EQ(bilm.num_parameters(), 13593312u);
  EXPECT_EQ(bilm.softmax, nullptr);
}

TEST(ElmoBiLm, ActivationsHonourTheSentences) {
  ElmoBiLm bilm(tiny());
  auto batch = chars({{"the", "cat", "sat"}, {"a", "dog"}});
  ElmoBiLmOutput out = bilm.forward(batch.ids);
  ASSERT_EQ(out.activations.size(), 3u);
  EXPECT_EQ(out.mask, batch.mask);
  for (const Tensor& a : out.activations) {
    EXPECT_EQ(a.shape(), (Shape{2, 5, 6}));
    EXPECT_TRUE(xt::all(xt::equal(xt::view(a.data<float>(), 1, 4, xt::all()), 0.0f)));  // padding
  }
  Tensor tokens = bilm.token_embedder->forward(batch.ids);
  EXPECT_LT(test::max_abs_diff(narrow(out.activations[0], 1, 0, 4), narrow(concat({tokens, tokens}, -1), 1, 0, 4)), 1e-6);
  // The shorter sentence alone gives the same activations as in the padded batch.
  ElmoBiLmOutput alone = bilm.forward(chars({{"a", "dog"}}).ids);
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_LT(test::max_abs_diff(narrow(narrow(out.activations[k], 0, 1, 1), 1, 0, 4), alone.activations[k]), 1e-6);
}

TEST(ElmoBiLm, LossPredictsTheNextWordForwardAndThePreviousBackward) {
  ElmoBiLm bilm(tiny());
  auto batch = chars({{"the", "cat", "sat"}, {"a", "dog"}});
  IndexArray words{{0, 2, 3, 4, 1}, {0, 5, 3, 1, 99}};  // <S>=0, </S>=1; 99 is padding, never read
  Tensor loss = bilm.loss(batch.ids, words);
  const Tensor top = bilm.forward(batch.ids).activations.back();
  double forward_sum = 0, backward_sum = 0, count = 0;
  for (std::size_t n = 0; n < 2; ++n) {
    const std::size_t length = n == 0 ? 5 : 4;
    for (std::size_t t = 0; t + 1 < length; ++t, ++count) {
      auto logits = [&](std::size_t at, std::size_t half) {
        return bilm.softmax->forward(narrow(select(select(top, 0, n), 0, at), -1, half * 3, 3));
      };
      auto one = [](Index id) {
        IndexArray target = xt::zeros<Index>({1});
        target(0) = id;
        return target;
      };
      forward_sum += cross_entropy(unsqueeze(logits(t, 0), 0), one(words(n, t + 1))).item();
      backward_sum += cross_entropy(unsqueeze(logits(t + 1, 1), 0), one(words(n, t))).item();
    }
  }
  EXPECT_NEAR(loss.item(), 0.5 * (forward_sum + backward_sum) / count, 1e-5);
  BiLmLosses each = bilm.losses(batch.ids, words);
  EXPECT_NEAR(each.forward.item(), forward_sum / count, 1e-5);
  EXPECT_NEAR(each.backward.item(), backward_sum / count, 1e-5);
}

TEST(ElmoBiLm, Gradcheck) {
  // 9 characters of 4 ids each keep the character table small; id 0 only for absent tokens (the
  // mask's embedding row is a constant). Two sentences, the second padded.
  ElmoOptions o = tiny();
  o.char_cnn.n_characters(10).max_characters_per_token(4);
  ElmoBiLm bilm(o);
  bilm.to(kFloat64);
  IndexArray ids{{{8, 1, 9, 7}, {8, 2, 3, 7}, {8, 4, 9, 7}, {8, 5, 9, 7}},
                 {{8, 1, 9, 7}, {8, 6, 9, 7}, {8, 5, 9, 7}, {0, 0, 0, 0}}};
  IndexArray words{{0, 2, 3, 1}, {0, 4, 1, 0}};
  EXPECT_TRUE(gradcheck(bilm, [&] { return bilm.loss(ids, words); }).ok);
}

TEST(ElmoBiLm, TrainsAndRoundTripsThroughNpz) {
  manual_seed(0);
  auto bilm = std::make_shared<ElmoBiLm>(tiny());
  auto batch = chars({{"the", "cat", "sat"}, {"the", "dog", "sat"}});
  IndexArray words{{0, 2, 3, 4, 1}, {0, 2, 5, 4, 1}};
  optim::Adam adam(bilm->named_parameters(), optim::AdamOptions(0.02));
  const double first = bilm->loss(batch.ids, words).item();
  for (int step = 0; step < 30; ++step) {
    Tensor loss = bilm->loss(batch.ids, words);
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  const double last = bilm->loss(batch.ids, words).item();
  EXPECT_LT(last, 0.75 * first);

  const std::string path = (std::filesystem::temp_directory_path() / "tapegrad_elmo_bilm.npz").string();
  bilm->save(path);
  ElmoBiLm loaded(tiny());
  loaded.load(path);
  EXPECT_TRUE(test::same_bits(loaded.loss(batch.ids, words), bilm->loss(batch.ids, words)));
  std::filesystem::remove(path);
}

TEST(ElmoBiLm, ErrorsNameTheModel) {
  ElmoBiLm bilm(tiny());
  auto batch = chars({{"a", "b"}});
  EXPECT_TRUE(test::throws<ShapeError>([&] { bilm.loss(batch.ids, IndexArray{{0, 1}}); },
                                       {"ElmoBiLm(vocab_size=6)", "targets of shape [1, 2]", "[1, 4, 50]"}));
  ElmoBiLm features(tiny(0));
  EXPECT_TRUE(test::throws<ValueError>([&] { features.loss(batch.ids, IndexArray{{0, 1, 2, 3}}); },
                                       {"ElmoBiLm(vocab_size=0)", "loss needs a softmax"}));
  IndexArray gap = batch.ids;
  xt::view(gap, 0, 1, xt::all()) = 0;
  EXPECT_TRUE(test::throws<ValueError>([&] { bilm.forward(gap); }, {"sentence 0 has a token at position 2 after padding at 1"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { bilm.forward(data::elmo_batch_to_ids({{"a"}, {}})); },
                                       {"sentence 1 has no token", "add_elmo_sentence_boundaries"}));
  ElmoOptions mismatched = tiny();
  mismatched.char_cnn.projection_dim(5);
  EXPECT_TRUE(test::throws<ValueError>([&] { ElmoBiLm{mismatched}; }, {"projection_dim 5", "projection_dim 3"}));
}

}  // namespace
}  // namespace tg::nn
