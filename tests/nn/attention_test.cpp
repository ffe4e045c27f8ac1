// Attention: parity with PyTorch (tools/references/seq2seq.py), gradchecks, masking, errors.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/attention.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

/// Runs `attend` on a reference case's inputs and compares context, weights and every gradient of
/// sum(context * dcontext) + sum(weights * dweights).
template <class Attend>
void expect_matches(const Module& module, const test::Reference& ref, Attend attend) {
  Tensor q = ref.at("queries").clone_leaf(true), k = ref.at("keys").clone_leaf(true), v = ref.at("values").clone_leaf(true);
  const Lengths lengths = load_npz_arrays(test::data_path(ref.name)).integer("lengths");
  AttentionOutput out = attend(q, k, v, lengths);
  EXPECT_TRUE(test::all_close(out.context, ref.at("context"))) << ref.name;
  EXPECT_TRUE(test::all_close(out.weights, ref.at("weights"))) << ref.name;
  (sum(out.context * ref.at("dcontext")) + sum(out.weights * ref.at("dweights"))).backward();
  for (const auto& [name, p] : module.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), ref.at("grad." + name))) << ref.name << ": grad of " << name;
  for (const auto& [name, t] : {std::pair{"queries", q}, {"keys", k}, {"values", v}})
    EXPECT_TRUE(test::all_close(t.grad(), ref.at(std::string("grad.") + name))) << ref.name << ": grad of " << name;
}

TEST(AdditiveAttention, MatchesPyTorch) {
  test::Reference ref("seq2seq/attention_additive.npz");
  AdditiveAttention attention(AdditiveAttentionOptions(6, 3, 7));
  attention.load_state_dict(ref.with_prefix("state."));
  attention.to(kFloat64);
  expect_matches(attention, ref, [&](auto&&... a) { return attention.forward(a...); });
}

TEST(DotProductAttention, MatchesPyTorchScaledAndNot) {
  for (bool scaled : {false, true}) {
    test::Reference ref(scaled ? "seq2seq/attention_scaled_dot.npz" : "seq2seq/attention_dot.npz");
    DotProductAttention attention(DotProductAttentionOptions().scaled(scaled));
    expect_matches(attention, ref, [&](auto&&... a) { return attention.forward(a...); });
  }
}

TEST(AdditiveAttention, ProjectedKeysGiveTheSameAsForward) {
  manual_seed(3);
  AdditiveAttention attention(AdditiveAttentionOptions(4, 3, 5));
  Tensor q = randn({2, 1, 3}), k = randn({2, 6, 4});
  Tensor keys = attention.project_keys(k);
  EXPECT_EQ(keys.shape(), (Shape{2, 6, 5}));
  AttentionOutput a = attention.forward(q, k, k, {6, 3}), b = attention.attend(q, keys, k, {6, 3});
  EXPECT_TRUE(test::same_bits(a.context, b.context));
  EXPECT_TRUE(test::same_bits(a.weights, b.weights));
}

TEST(AdditiveAttention, WeightsOnPaddingAreExactlyZeroAndRowsSumToOne) {
  manual_seed(4);
  AdditiveAttention attention(AdditiveAttentionOptions(4, 3, 5));
  for (Dtype dtype : {kFloat32, kFloat64}) {
    attention.to(dtype);
    Tensor q = randn({3, 2, 3}, dtype), k = randn({3, 6, 4}, dtype);
    // Padding holding huge values must not leak into the weights either.
    visit_dtype(dtype, [&]<class T>() { xt::view(k.data<T>(), 1, xt::range(2, 6), xt::all()) = T(1e30); });
    AttentionOutput out = attention.forward(q, k, k, {6, 2, 1});
    visit_dtype(dtype, [&]<class T>() {
      const auto& w = out.weights.data<T>();
      for (std::size_t i = 0; i < 2; ++i) {
        for (std::size_t j = 2; j < 6; ++j) EXPECT_EQ(w(1, i, j), T(0));
        for (std::size_t j = 1; j < 6; ++j) EXPECT_EQ(w(2, i, j), T(0));
        EXPECT_EQ(w(2, i, 0), T(1));
        for (std::size_t b = 0; b < 3; ++b) EXPECT_NEAR(xt::sum(xt::view(w, b, i, xt::all()))(), 1.0, 1e-6);
      }
      EXPECT_TRUE(xt::all(xt::isfinite(out.context.data<T>())));
    });
  }
}

TEST(AdditiveAttention, Gradcheck) {
  AdditiveAttention attention(AdditiveAttentionOptions(4, 3, 5));
  attention.to(kFloat64);
  Tensor q = test::random_input({2, 3, 3}, 1), k = test::random_input({2, 4, 4}, 2), v = test::random_input({2, 4, 2}, 3);
  EXPECT_TRUE(gradcheck(attention, [&] {
                auto out = attention.forward(q, k, v, {4, 2});
                return sum(out.context) + sum(out.weights * out.weights);
              }).ok);
  EXPECT_TRUE(test::gradcheck_op("AdditiveAttention",
                                 [&](const auto& in) {
                                   auto out = attention.attend(in[0], attention.project_keys(in[1]), in[2], {4, 2});
                                   return concat({reshape(out.context, {-1}), reshape(out.weights, {-1})}, 0);
                                 },
                                 {q, k, v}));
}

TEST(DotProductAttention, Gradcheck) {
  for (bool scaled : {false, true}) {
    DotProductAttention attention(DotProductAttentionOptions().scaled(scaled));
    Tensor q = test::random_input({2, 3, 4}, 1), k = test::random_input({2, 5, 4}, 2), v = test::random_input({2, 5, 3}, 3);
    EXPECT_TRUE(test::gradcheck_op("DotProductAttention",
                                   [&](const auto& in) {
                                     auto out = attention.forward(in[0], in[1], in[2], {5, 3});
                                     return concat({reshape(out.context, {-1}), reshape(out.weights, {-1})}, 0);
                                   },
                                   {q, k, v}))
        << "scaled " << scaled;
  }
}

TEST(Attention, DropoutOnlyWhileTrainingAndNotOnTheReturnedWeights) {
  manual_seed(5);
  DotProductAttention attention(DotProductAttentionOptions().dropout(0.5));
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4});
  AttentionOutput train = attention.forward(q, k, k, {5, 3});
  attention.eval();
  AttentionOutput eval = attention.forward(q, k, k, {5, 3});
  EXPECT_TRUE(test::same_bits(train.weights, eval.weights));
  EXPECT_GT(test::max_abs_diff(train.context, eval.context), 1e-3);
}

TEST(Attention, BadShapesAndLengthsNameTheModuleAndShapes) {
  AdditiveAttention additive(AdditiveAttentionOptions(4, 3, 5));
  DotProductAttention dot;
  Tensor q = zeros({2, 1, 3}), k = zeros({2, 6, 4});
  EXPECT_TRUE(test::throws<ShapeError>([&] { additive.forward(zeros({2, 1, 2}), k, k); },
                                       {"AdditiveAttention(key_size=4, query_size=3, num_hiddens=5)", "queries [2, 1, 2]",
                                        "query size 3"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { additive.forward(q, zeros({2, 6, 3}), k); },
                                       {"AdditiveAttention(", "keys [2, 6, 3] must be (batch, keys, 4)"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { additive.forward(q, k, zeros({3, 6, 4})); },
                                       {"AdditiveAttention(", "values [3, 6, 4]", "batch size"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { additive.forward(zeros({2, 3}), k, k); },
                                       {"AdditiveAttention(", "queries [2, 3]", "(batch, queries, 3)"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { additive.forward(q, k, k, {6, 7}); },
                                       {"AdditiveAttention(", "values [2, 6, 4]", "lengths[1] = 7 is outside [1, 6]"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { additive.forward(q, k, k, {0, 1}); }, {"lengths[0] = 0"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { additive.forward(q, k, k, {6}); },
                                       {"AdditiveAttention(", "1 lengths for a batch of 2"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { dot.forward(q, k, k); },
                                       {"DotProductAttention(scaled=true)", "queries [2, 1, 3] and keys [2, 6, 4]"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { DotProductAttention(DotProductAttentionOptions().dropout(1.5)); },
                                       {"DotProductAttention(scaled=true, dropout=1.5)", "dropout 1.5"}));
  EXPECT_EQ(additive.str(),
            "AdditiveAttention(\n"
            "  key_size=4, query_size=3, num_hiddens=5\n"
            "  (W_k): Linear(in_features=4, out_features=5, bias=false)  {weight [5, 4]}\n"
            "  (W_q): Linear(in_features=3, out_features=5, bias=false)  {weight [5, 3]}\n"
            "  (w_v): Linear(in_features=5, out_features=1, bias=false)  {weight [1, 5]}\n"
            ")  # 40 parameters");
}

}  // namespace
}  // namespace tg::nn
