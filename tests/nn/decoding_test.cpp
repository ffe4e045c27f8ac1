// Greedy decoding and beam search: beam 1 is greedy, scores are the model's, batching changes nothing.
#include "support/support.hpp"

#include <nn/decoding.hpp>

#include <cmath>

namespace tg::nn {
namespace {

constexpr Index kBos = 1, kEos = 2;

std::shared_ptr<EncoderDecoder> make_model(bool attention, std::uint64_t seed) {
  manual_seed(seed);
  auto encoder = std::make_shared<Seq2SeqEncoder>(Seq2SeqEncoderOptions(9, 4, 6).bidirectional(true));
  auto options = Seq2SeqDecoderOptions(8, 4, 12, 12);
  std::shared_ptr<RecurrentDecoder> decoder;
  if (attention)
    decoder = std::make_shared<Seq2SeqAttentionDecoder>(options);
  else
    decoder = std::make_shared<Seq2SeqDecoder>(options);
  auto model = std::make_shared<EncoderDecoder>(encoder, decoder);
  model->to(kFloat64);  // no near-ties between candidates
  model->eval();
  return model;
}

const IndexArray kSource{{3, 4, 5, 6}, {7, 8, 3, 0}, {4, 0, 6, 0}, {5, 0, 7, 0}, {6, 0, 0, 0}};
const Lengths kLengths{5, 2, 4, 1};

/// log P(tokens | source b) and the attention rows, by the teacher-forced forward.
std::pair<double, Tensor> teacher_forced(EncoderDecoder& model, std::size_t b, const std::vector<Index>& tokens) {
  const std::size_t steps = tokens.size(), length = static_cast<std::size_t>(kLengths.values[b]);
  IndexArray source = xt::view(kSource, xt::range(0, length), xt::keep(b));
  IndexArray inputs = IndexArray::from_shape({steps, 1});
  inputs(0, 0) = kBos;
  for (std::size_t t = 1; t < steps; ++t) inputs(t, 0) = tokens[t - 1];
  DecoderOutput out = model.forward(source, {static_cast<Index>(length)}, inputs);
  const auto logp = log_softmax(out.logits, -1).data<double>();
  double total = 0;
  for (std::size_t t = 0; t < steps; ++t) total += logp(t, 0, tokens[t]);
  return {total, out.attention.defined() ? select(out.attention, 1, 0) : Tensor()};
}

TEST(Decoding, BeamSizeOneIsGreedy) {
  for (bool attention : {true, false}) {
    auto model = make_model(attention, 21);
    auto greedy = greedy_decode(*model, kSource, kLengths, DecodeOptions(kBos, kEos).max_length(7));
    auto beam = beam_search(*model, kSource, kLengths, DecodeOptions(kBos, kEos).max_length(7).beam_size(1));
    ASSERT_EQ(greedy.size(), 4u);
    for (std::size_t b = 0; b < 4; ++b) {
      EXPECT_EQ(beam[b].tokens, greedy[b].tokens) << b;
      EXPECT_EQ(beam[b].attention, greedy[b].attention) << b;
      EXPECT_NEAR(beam[b].log_probability, greedy[b].log_probability, 1e-12) << b;
      EXPECT_EQ(greedy[b].attention.size() == 0, !attention);
    }
  }
}

TEST(Decoding, ScoresAndAttentionAreTheTeacherForcedModels) {
  auto model = make_model(true, 22);
  const auto options = DecodeOptions(kBos, kEos).max_length(6).beam_size(3).alpha(0.75);
  for (const auto& decoded : {greedy_decode(*model, kSource, kLengths, options), beam_search(*model, kSource, kLengths, options)})
    for (std::size_t b = 0; b < 4; ++b) {
      const Translation& t = decoded[b];
      ASSERT_FALSE(t.tokens.empty());
      EXPECT_TRUE(t.tokens.size() == 6 || t.tokens.back() == kEos);
      auto [logp, attention] = teacher_forced(*model, b, t.tokens);
      EXPECT_NEAR(t.log_probability, logp, 1e-9) << b;
      ASSERT_EQ(t.attention.shape(), (std::vector<std::size_t>{t.tokens.size(), static_cast<std::size_t>(kLengths.values[b])}));
      EXPECT_LT(xt::amax(xt::abs(t.attention - attention.data<double>()))(), 1e-12) << b;
    }
}

TEST(Decoding, BeamSearchBeatsOrTiesGreedyAndIgnoresTheRestOfTheBatch) {
  auto model = make_model(true, 23);
  const auto options = DecodeOptions(kBos, kEos).max_length(6).beam_size(4).alpha(0);
  auto greedy = greedy_decode(*model, kSource, kLengths, options);
  auto beam = beam_search(*model, kSource, kLengths, options);
  for (std::size_t b = 0; b < 4; ++b) {
    if (greedy[b].tokens.back() == kEos) {
      EXPECT_GE(beam[b].log_probability, greedy[b].log_probability - 1e-12) << b;
    }
    EXPECT_NEAR(beam[b].score, beam[b].log_probability, 1e-15);  // alpha 0
    const auto length = static_cast<std::size_t>(kLengths.values[b]);
    IndexArray alone = xt::view(kSource, xt::range(0, length), xt::keep(b));
    auto single = beam_search(*model, alone, {static_cast<Index>(length)}, options);
    EXPECT_EQ(single[0].tokens, beam[b].tokens) << b;
  }
}

TEST(Decoding, StopsAtEosOrMaxLength) {
  auto model = make_model(true, 24);
  auto& bias = model->decoder->dense->bias.data<double>();
  bias(kEos) = 100;  // <eos> first
  for (std::size_t k : {1, 3}) {
    auto out = beam_search(*model, kSource, kLengths, DecodeOptions(kBos, kEos).beam_size(k));
    for (const auto& t : out) EXPECT_EQ(t.tokens, (std::vector<Index>{kEos}));
  }
  bias(kEos) = -100;
  bias(5) = 100;  // never <eos>
  auto greedy = greedy_decode(*model, kSource, kLengths, DecodeOptions(kBos, kEos).max_length(4));
  auto beam = beam_search(*model, kSource, kLengths, DecodeOptions(kBos, kEos).max_length(4).beam_size(2));
  for (std::size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(greedy[b].tokens, (std::vector<Index>{5, 5, 5, 5}));
    EXPECT_EQ(beam[b].tokens, (std::vector<Index>{5, 5, 5, 5}));
  }
}

TEST(Decoding, BadOptionsNameTheFunction) {
  auto model = make_model(true, 25);
  EXPECT_TRUE(test::throws<IndexError>([&] { greedy_decode(*model, kSource, kLengths, DecodeOptions(kBos, 8)); },
                                       {"greedy_decode: eos id 8 is outside the target vocabulary [0, 8)"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { beam_search(*model, kSource, kLengths, DecodeOptions(kBos, kEos).beam_size(0)); },
                                       {"beam_search: max_length (50) and beam_size (0) must be positive"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { beam_search(*model, kSource, kLengths, DecodeOptions(kBos, kEos).alpha(-1)); },
                                       {"beam_search: alpha -1"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { beam_search(*model, kSource, {5, 6, 1, 1}, DecodeOptions(kBos, kEos)); },
                                       {"beam_search: source [5, 4]", "lengths[1] = 6 is outside [1, 5]"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { greedy_decode(*model, IndexArray{1, 2}, {}, DecodeOptions(kBos, kEos)); },
                                       {"greedy_decode: source of shape [2] must be (steps, batch)"}));
}

}  // namespace
}  // namespace tg::nn
