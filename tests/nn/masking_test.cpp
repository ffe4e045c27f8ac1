// Length masks, the masked softmax and the masked cross-entropy: values, gradchecks, errors.
#include "support/support.hpp"

#include <nn/masking.hpp>

namespace tg::nn {
namespace {

TEST(Masking, LengthMask) {
  const Mask m = length_mask({3, 1}, 2, 4, "test");
  EXPECT_EQ(m, (Mask{{true, true, true, false}, {true, false, false, false}}));
  EXPECT_TRUE(xt::all(length_mask({}, 2, 3, "test")));
  EXPECT_TRUE(test::throws<ValueError>([] { length_mask({3, 5}, 2, 4, "who"); },
                                       {"who: lengths[1] = 5 is outside [1, 4] (the input has 4 steps)"}));
}

TEST(MaskedSoftmax, MatchesSoftmaxOverTheValidPrefix) {
  Tensor scores = test::random_input({2, 3, 5}, 7);
  Tensor w = masked_softmax(scores, {5, 2});
  EXPECT_LT(test::max_abs_diff(select(w, 0, 0), softmax(select(scores, 0, 0), -1)), 1e-15);
  Tensor valid = softmax(narrow(select(scores, 0, 1), -1, 0, 2), -1);
  EXPECT_LT(test::max_abs_diff(narrow(select(w, 0, 1), -1, 0, 2), valid), 1e-15);
  EXPECT_EQ(xt::amax(xt::abs(xt::view(w.data<double>(), 1, xt::all(), xt::range(2, 5))))(), 0.0);
  // 2-D scores: one query per sequence.
  Tensor w2 = masked_softmax(select(scores, 1, 0), {5, 2});
  EXPECT_LT(test::max_abs_diff(w2, select(w, 1, 0)), 1e-15);
}

TEST(MaskedSoftmax, Gradcheck) {
  EXPECT_TRUE(test::gradcheck_op("masked_softmax", [](const auto& in) { return masked_softmax(in[0], {4, 1, 3}); },
                                 {test::random_input({3, 2, 4})}));
}

TEST(MaskedSoftmax, Errors) {
  EXPECT_TRUE(test::throws<ShapeError>([] { masked_softmax(zeros({3}), {1}); }, {"masked_softmax", "[3]"}));
  EXPECT_TRUE(test::throws<ValueError>([] { masked_softmax(zeros({2, 3}), {1, 4}); },
                                       {"masked_softmax: scores [2, 3]", "lengths[1] = 4 is outside [1, 3]"}));
}

TEST(MaskedCrossEntropy, AveragesOverRealTokensOnly) {
  Tensor logits = test::random_input({3, 2, 4}, 8);
  IndexArray targets{{0, 1}, {2, 3}, {1, 1}};
  Tensor loss = masked_cross_entropy(logits, targets, {3, 1});
  // Tokens (t, b) = (0,0), (1,0), (2,0), (0,1) count.
  double expected = 0;
  for (auto [t, b] : {std::pair{0, 0}, {1, 0}, {2, 0}, {0, 1}})
    expected += cross_entropy(select(select(logits, 0, t), 0, b), IndexArray(targets(t, b))).item();
  EXPECT_NEAR(loss.item(), expected / 4, 1e-14);
  loss.backward();
  EXPECT_EQ(xt::amax(xt::abs(xt::view(logits.grad().data<double>(), xt::range(1, 3), 1, xt::all())))(), 0.0);
}

TEST(MaskedCrossEntropy, Gradcheck) {
  IndexArray targets{{0, 1, 4}, {2, 3, 0}};
  EXPECT_TRUE(test::gradcheck_op("masked_cross_entropy",
                                 [&](const auto& in) { return masked_cross_entropy(in[0], targets, {2, 1, 2}); },
                                 {test::random_input({2, 3, 5})}));
}

TEST(MaskedCrossEntropy, Errors) {
  EXPECT_TRUE(test::throws<ShapeError>([] { masked_cross_entropy(zeros({3, 2, 4}), IndexArray::from_shape({2, 3}), {}); },
                                       {"masked_cross_entropy: logits [3, 2, 4] and targets [2, 3]"}));
  EXPECT_TRUE(test::throws<ValueError>([] { masked_cross_entropy(zeros({3, 2, 4}), xt::zeros<Index>({3, 2}), {3, 4}); },
                                       {"masked_cross_entropy: targets [3, 2]", "lengths[1] = 4 is outside [1, 3]"}));
}

}  // namespace
}  // namespace tg::nn
