// Seq2Seq encoder and decoders: parity with a torch.nn model (tools/references/seq2seq.py),
// gradchecks, the bidirectional encoder's annotations, stepping, errors.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/masking.hpp>
#include <nn/module_gradcheck.hpp>
#include <nn/seq2seq.hpp>

namespace tg::nn {
namespace {

struct ModelSpec {
  RnnType rnn = RnnType::Gru;
  bool bidirectional = false, attention = true, bahdanau_init = false;
  std::size_t encoder_layers = 1, decoder_layers = 1, maxout = 0;
};

/// The sizes of tools/references/seq2seq.py: vocabularies 7 and 9, embeddings 4 and 3, encoder hidden
/// 5, attention hidden 6, decoder hidden D * 5.
std::shared_ptr<EncoderDecoder> make_model(const ModelSpec& s) {
  auto encoder = std::make_shared<Seq2SeqEncoder>(Seq2SeqEncoderOptions(7, 4, 5)
                                                      .num_layers(s.encoder_layers)
                                                      .bidirectional(s.bidirectional)
                                                      .rnn_type(s.rnn));
  const std::size_t context = encoder->output_size();
  auto options = Seq2SeqDecoderOptions(9, 3, context, context).num_layers(s.decoder_layers).rnn_type(s.rnn).maxout(s.maxout);
  if (s.bahdanau_init) options.bahdanau_init(5);
  std::shared_ptr<RecurrentDecoder> decoder;
  if (s.attention)
    decoder = std::make_shared<Seq2SeqAttentionDecoder>(options.attention_hiddens(6));
  else
    decoder = std::make_shared<Seq2SeqDecoder>(options);
  return std::make_shared<EncoderDecoder>(encoder, decoder);
}

void expect_matches_pytorch(const std::string& name, const ModelSpec& spec) {
  SCOPED_TRACE(name);
  test::Reference ref("seq2seq/" + name + ".npz");
  const NpzArrays ids = load_npz_arrays(test::data_path(ref.name));
  auto model = make_model(spec);
  model->load_state_dict(ref.with_prefix("state."));
  model->to(kFloat64);
  DecoderOutput out = model->forward(ids.integer("source"), ids.integer("source_lengths"), ids.integer("inputs"));
  Tensor loss = masked_cross_entropy(out.logits, ids.integer("targets"), ids.integer("target_lengths"));
  EXPECT_TRUE(test::all_close(out.logits, ref.at("logits"))) << "logits";
  EXPECT_EQ(out.attention.defined(), spec.attention);
  if (spec.attention) {
    EXPECT_TRUE(test::all_close(out.attention, ref.at("attention"))) << "attention";
  }
  EXPECT_TRUE(test::all_close(loss, ref.at("loss"))) << "loss";
  loss.backward();
  double worst = 0;
  for (const auto& [param, p] : model->named_parameters()) {
    EXPECT_TRUE(test::all_close(p.grad(), ref.at("grad." + param))) << "grad of " << param;
    worst = std::max(worst, test::max_abs_diff(p.grad(), ref.at("grad." + param)));
  }
  worst = std::max({worst, test::max_abs_diff(out.logits, ref.at("logits")), test::max_abs_diff(loss, ref.at("loss"))});
  if (spec.attention) worst = std::max(worst, test::max_abs_diff(out.attention, ref.at("attention")));
  ::testing::Test::RecordProperty(name + "_max_abs_error", fmt::format("{:.3g}", worst));
  EXPECT_LT(worst, 1e-5);
}

TEST(Seq2Seq, MatchesPyTorchWithPaddedSourcesAndTargets) {
  expect_matches_pytorch("seq2seq_gru_bi_l2_attention",
                         {.bidirectional = true, .encoder_layers = 2, .decoder_layers = 2});
  expect_matches_pytorch("seq2seq_gru_bi_bahdanau_maxout", {.bidirectional = true, .bahdanau_init = true, .maxout = 4});
  expect_matches_pytorch("seq2seq_lstm_uni_l2_attention", {.rnn = RnnType::Lstm, .encoder_layers = 2, .decoder_layers = 2});
  expect_matches_pytorch("seq2seq_gru_uni_l2_plain", {.attention = false, .encoder_layers = 2, .decoder_layers = 2});
  expect_matches_pytorch("seq2seq_lstm_bi_l1_plain", {.rnn = RnnType::Lstm, .bidirectional = true, .attention = false});
}

/// A small padded batch: source (4, 2) lengths {4, 2}, decoder inputs (3, 2), targets, lengths {3, 2}.
struct Batch {
  IndexArray source{{1, 2}, {3, 4}, {5, 0}, {6, 0}};
  Lengths source_lengths{4, 2};
  IndexArray inputs{{1, 1}, {2, 3}, {4, 0}};
  IndexArray targets{{2, 3}, {4, 2}, {8, 0}};
  Lengths target_lengths{3, 2};
};

void gradcheck_model(const ModelSpec& spec) {
  manual_seed(11);
  auto model = make_model(spec);
  model->to(kFloat64);
  Batch b;
  EXPECT_TRUE(gradcheck(*model, [&] {
                DecoderOutput out = model->forward(b.source, b.source_lengths, b.inputs);
                Tensor loss = masked_cross_entropy(out.logits, b.targets, b.target_lengths);
                return out.attention.defined() ? loss + sum(out.attention * out.attention) : loss;
              }).ok);
}

TEST(Seq2Seq, GradcheckAttentionDecoder) {
  gradcheck_model({.bidirectional = true, .encoder_layers = 2, .decoder_layers = 2});
  gradcheck_model({.rnn = RnnType::Lstm, .bidirectional = true, .bahdanau_init = true, .maxout = 3});
}

TEST(Seq2Seq, GradcheckPlainDecoder) {
  gradcheck_model({.attention = false, .encoder_layers = 2, .decoder_layers = 2});
  gradcheck_model({.rnn = RnnType::Lstm, .bidirectional = true, .attention = false, .bahdanau_init = true});
}

TEST(Seq2Seq, BidirectionalEncoderLastTokenReachesBackwardH1AndS0ButNotForwardH1) {
  manual_seed(12);
  auto model = make_model({.bidirectional = true, .bahdanau_init = true});
  IndexArray source{{1, 1}, {2, 2}, {3, 3}, {4, 5}};  // the two sources differ only in their last token
  EncoderOutput enc = model->encoder->forward(source);
  DecoderState state = model->decoder->init_state(enc);
  auto h1 = [&](std::size_t b, std::size_t from) { return narrow(select(select(enc.output, 0, 0), 0, b), 0, from, 5); };
  EXPECT_TRUE(test::same_bits(h1(0, 0), h1(1, 0))) << "forward h_1 must not see the last token";
  EXPECT_GT(test::max_abs_diff(h1(0, 5), h1(1, 5)), 1e-6) << "backward h_1 must see it";
  Tensor s0 = select(state.rnn.h, 0, 0);
  EXPECT_GT(test::max_abs_diff(select(s0, 0, 0), select(s0, 0, 1)), 1e-6) << "s_0 must see it";
}

TEST(Seq2Seq, StepByStepEqualsTeacherForcedForward) {
  manual_seed(13);
  auto model = make_model({.bidirectional = true, .encoder_layers = 2, .decoder_layers = 2, .maxout = 2});
  Batch b;
  DecoderOutput forced = model->forward(b.source, b.source_lengths, b.inputs);
  DecoderState state = model->decoder->init_state(model->encoder->forward(b.source, b.source_lengths));
  for (std::size_t t = 0; t < 3; ++t) {
    DecoderStep s = model->decoder->step(xt::view(b.inputs, t, xt::all()), state);
    EXPECT_TRUE(test::same_bits(s.logits, select(forced.logits, 0, t))) << t;
    EXPECT_TRUE(test::same_bits(s.attention, select(forced.attention, 0, t))) << t;
    state = s.state;
  }
  // Attention weights on source padding are exactly zero.
  EXPECT_EQ(xt::amax(xt::abs(xt::view(forced.attention.data<float>(), xt::all(), 1, xt::range(2, 4))))(), 0.0f);
}

// The teacher-forced forward packs each weight once for all steps, forward and backward
// (ReusePackedWeights); step by step, each step packs its own. The gradients of the recurrent
// layer's weights keep their bits.
TEST(Seq2Seq, StepByStepGivesTheTeacherForcedGradients) {
  manual_seed(13);
  auto model = make_model({.bidirectional = true, .encoder_layers = 2, .decoder_layers = 2, .maxout = 2});
  Batch b;
  auto gradients = [&](bool forced) {
    model->zero_grad();
    Tensor total;
    if (forced) {
      total = sum(model->forward(b.source, b.source_lengths, b.inputs).logits);
    } else {
      DecoderState state = model->decoder->init_state(model->encoder->forward(b.source, b.source_lengths));
      for (std::size_t t = 0; t < b.inputs.shape(0); ++t) {
        DecoderStep s = model->decoder->step(xt::view(b.inputs, t, xt::all()), state);
        total = total.defined() ? total + sum(s.logits) : sum(s.logits);
        state = s.state;
      }
    }
    total.backward();
    std::map<std::string, Tensor> grads;
    for (const auto& [name, p] : model->named_parameters()) grads[name] = p.grad().detach();
    return grads;
  };
  const auto forced = gradients(true), stepped = gradients(false);
  for (const auto& [name, g] : forced)
    if (name.starts_with("decoder.rnn.")) EXPECT_TRUE(test::same_bits(g, stepped.at(name))) << name;
    else EXPECT_LT(test::max_abs_diff(g, stepped.at(name)), 1e-5) << name;
}

TEST(Seq2Seq, SelectRowsFollowsTheChosenSequences) {
  manual_seed(14);
  auto model = make_model({.rnn = RnnType::Lstm, .bidirectional = true});
  Batch b;
  DecoderState state = model->decoder->init_state(model->encoder->forward(b.source, b.source_lengths));
  DecoderState swapped = state.select_rows(IndexArray{1, 0, 1});
  EXPECT_EQ(swapped.batch_size(), 3u);
  EXPECT_EQ(swapped.lengths.values, (std::vector<std::size_t>{2, 4, 2}));
  DecoderStep a = model->decoder->step(IndexArray{1, 3}, state), c = model->decoder->step(IndexArray{3, 1, 3}, swapped);
  EXPECT_LT(test::max_abs_diff(select(c.logits, 0, 0), select(a.logits, 0, 1)), 1e-6);
  EXPECT_LT(test::max_abs_diff(select(c.attention, 0, 1), select(a.attention, 0, 0)), 1e-6);
}

TEST(Seq2Seq, ErrorsNameTheModuleAndShapes) {
  auto model = make_model({.bidirectional = true, .encoder_layers = 2, .decoder_layers = 2});
  Batch b;
  EXPECT_TRUE(test::throws<ValueError>([&] { model->encoder->forward(b.source, {4, 5}); },
                                       {"Seq2SeqEncoder(vocab_size=7", "source [4, 2]", "lengths[1] = 5 is outside [1, 4]"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { model->encoder->forward(IndexArray{1, 2}); }, {"Seq2SeqEncoder(", "source of shape [2]"}));
  EncoderOutput enc = model->encoder->forward(b.source, b.source_lengths);
  DecoderState state = model->decoder->init_state(enc);
  EXPECT_TRUE(test::throws<ShapeError>([&] { model->decoder->step(IndexArray{1, 2, 3}, state); },
                                       {"Seq2SeqAttentionDecoder(vocab_size=9", "3 tokens for a state of 2 sequences"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { model->decoder->forward(IndexArray{{1, 2, 3}}, state); },
                                       {"Seq2SeqAttentionDecoder(", "inputs [1, 3] for a state of 2 sequences"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { model->decoder->step(IndexArray{1, 2}, DecoderState()); },
                                       {"Seq2SeqAttentionDecoder(", "the state's h is undefined", "init_state()"}));
  auto one_layer = std::make_shared<Seq2SeqAttentionDecoder>(Seq2SeqDecoderOptions(9, 3, 10, 10));
  EXPECT_TRUE(test::throws<ShapeError>([&] { one_layer->init_state(enc); },
                                       {"Seq2SeqAttentionDecoder(", "final state [4, 2, 5] (2 layers x 2 directions)",
                                        "num_layers = 2 and num_hiddens = 10"}));
  auto wrong_context = std::make_shared<Seq2SeqDecoder>(Seq2SeqDecoderOptions(9, 3, 10, 8).num_layers(2));
  EXPECT_TRUE(test::throws<ShapeError>([&] { wrong_context->init_state(enc); },
                                       {"Seq2SeqDecoder(", "output [4, 2, 10] must be (steps, batch, context_size = 8)"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { EncoderDecoder(model->encoder, wrong_context); },
                                       {"EncoderDecoder: the encoder's annotations have size 10, the decoder's context_size is 8"}));
  EXPECT_TRUE(test::throws<ValueError>([] { Seq2SeqEncoder(Seq2SeqEncoderOptions(7, 0, 5)); },
                                       {"Seq2SeqEncoder(vocab_size=7, embed_size=0", "must be positive"}));
}

}  // namespace
}  // namespace tg::nn
