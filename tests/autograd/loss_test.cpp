// Fused softmax cross-entropy.
#include "support/support.hpp"

#include <cmath>

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

/// The composed twin: -log_softmax(x)[t] over the counted rows, reduced like cross_entropy.
Tensor composed_cross_entropy(const Tensor& logits, const IndexArray& targets, Index ignore, Reduction r) {
  const std::size_t classes = logits.shape().back();
  Tensor flat = log_softmax(reshape(logits, {-1, static_cast<long>(classes)}), -1);
  std::vector<Tensor> losses;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Index t = targets.data()[i];
    losses.push_back(t == ignore ? zeros({}, logits.dtype()) : -select(select(flat, 0, i), 0, t));
  }
  Tensor all = stack(losses, 0);
  std::size_t count = 0;
  for (Index t : targets) count += t != ignore;
  if (r == Reduction::None) {
    std::vector<long> shape(targets.shape().begin(), targets.shape().end());
    return reshape(all, shape);
  }
  return r == Reduction::Sum ? sum(all) : sum(all) / static_cast<double>(count);
}

TEST(CrossEntropy, HandComputedValue) {
  Tensor x = tensor({{0, 0, std::log(2.0)}}, kFloat64);  // softmax = (1/4, 1/4, 1/2)
  EXPECT_NEAR(cross_entropy(x, IndexArray{2}).item(), std::log(2.0), 1e-15);
  EXPECT_NEAR(cross_entropy(x, IndexArray{0}).item(), std::log(4.0), 1e-15);
}

TEST(CrossEntropy, MatchesPyTorch) {
  const IndexArray targets = test::reference_ids("ops/cross_entropy_mean.npz", "targets");
  for (auto [file, r] : {std::pair{"ops/cross_entropy_mean.npz", Reduction::Mean},
                         std::pair{"ops/cross_entropy_sum.npz", Reduction::Sum},
                         std::pair{"ops/cross_entropy_none.npz", Reduction::None}}) {
    EXPECT_TRUE(test::matches_reference(
        file, [&](const auto& in) { return cross_entropy(in[0], targets, CrossEntropyOptions().reduce(r)); }))
        << file;
  }
}

TEST(CrossEntropy, AllIgnoredMeanIsNaNWithZeroGradientAsPyTorch) {
  const IndexArray targets = test::reference_ids("ops/cross_entropy_all_ignored.npz", "targets");
  EXPECT_TRUE(test::matches_reference("ops/cross_entropy_all_ignored.npz", [&](const auto& in) {
    return cross_entropy(in[0], targets, CrossEntropyOptions().ignore(3));
  }));
  EXPECT_TRUE(std::isnan(cross_entropy(zeros({2, 4}), IndexArray{3, 3}, CrossEntropyOptions().ignore(3)).item()));
  EXPECT_EQ(cross_entropy(zeros({2, 4}), IndexArray{3, 3}, CrossEntropyOptions().ignore(3).reduce(Reduction::Sum)).item(),
            0.0);
}

TEST(CrossEntropy, MaskCountsOnlyMaskedPositions) {
  Tensor x = random_input({2, 3, 4}, 5);
  IndexArray t{{0, 1, 2}, {3, 3, 1}};
  Mask m{{true, true, false}, {true, false, false}};
  Tensor masked = cross_entropy(x, t, CrossEntropyOptions().with_mask(m));
  IndexArray ignored = t;
  ignored(0, 2) = ignored(1, 1) = ignored(1, 2) = -100;
  EXPECT_NEAR(masked.item(), cross_entropy(x, ignored).item(), 1e-14);
  Tensor none = cross_entropy(x, t, CrossEntropyOptions().with_mask(m).reduce(Reduction::None));
  EXPECT_EQ(none.shape(), (Shape{2, 3}));
  EXPECT_EQ(none.data<double>()(1, 2), 0.0);
}

TEST(CrossEntropy, GradcheckAgainstComposedTwin) {
  const IndexArray t{{0, 4, -100}, {2, 2, 1}};
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    EXPECT_TRUE(gradcheck_op("cross_entropy",
                             [&](const auto& in) { return cross_entropy(in[0], t, CrossEntropyOptions().reduce(r)); },
                             {random_input({2, 3, 5})}));
    Tensor x = random_input({2, 3, 5}, 9);
    EXPECT_LT(test::max_abs_diff(cross_entropy(x, t, CrossEntropyOptions().reduce(r)),
                                 composed_cross_entropy(x, t, -100, r)),
              1e-13);
    // Their gradients agree: the difference has zero gradient.
    EXPECT_TRUE(gradcheck_op("cross_entropy",
                             [&](const auto& in) {
                               return cross_entropy(in[0], t, CrossEntropyOptions().reduce(r)) -
                                      composed_cross_entropy(in[0], t, -100, r);
                             },
                             {random_input({2, 3, 5}, 4)}));
  }
  EXPECT_TRUE(gradcheck_op("cross_entropy",
                           [](const auto& in) {
                             return cross_entropy(in[0], IndexArray{1, 0, 1},
                                                  CrossEntropyOptions().with_mask(Mask{true, false, true}));
                           },
                           {random_input({3, 2})}));
}

TEST(CrossEntropy, FiniteAtLargeLogits) {
  for (Dtype d : {kFloat32, kFloat64}) {
    Tensor x = tensor({{1e4, -1e4, 0}, {-1e4, 1e4, -1e4}}, TensorOptions(d).requires_grad());
    Tensor loss = cross_entropy(x, IndexArray{1, 1});
    EXPECT_NEAR(loss.item(), 1e4, 1e-2);  // row 0 misses by 2e4, row 1 is exact: mean 1e4
    loss.backward();
    const xt::xarray<double> g = x.grad().to(kFloat64).data<double>();
    EXPECT_TRUE(std::all_of(g.begin(), g.end(), [](double v) { return std::isfinite(v); }));
    EXPECT_NEAR(g(0, 0), 0.5, 1e-6);
    EXPECT_NEAR(g(0, 1), -0.5, 1e-6);
  }
}

// y = x (a copy), recorded with NotRead; its backward records where its incoming gradient lives.
Tensor spy(const Tensor& x, const float** output_data, const float** grad_data) {
  xt::xarray<float> y = x.data<float>();
  *output_data = y.data();
  return record<float>("spy", std::move(y), {x}, [grad_data](BackwardContext<float>& ctx) {
    *grad_data = ctx.grad().data();
    ctx.accumulate(0, ctx.grad());
  }, OutputUse::NotRead);
}

struct InPlaceRun {
  xt::xarray<float> grad;
  bool in_place = false;
};

// The gradient of x through cross_entropy(spy(x)), with the logits held by the caller or not, and
// with the graph retained or not.
InPlaceRun cross_entropy_grad(bool hold_logits, bool retain_graph) {
  test::ThreadsGuard guard;
  set_num_threads(2);  // 300 rows of 500 run as parallel row blocks
  xt::xarray<float> values = xt::empty<float>({300, 500});
  for (std::size_t i = 0; i < 300; ++i)
    for (std::size_t j = 0; j < 500; ++j) values(i, j) = 3 * std::sin(0.7f * i + 1.3f * j);
  Tensor x = from_array(std::move(values), true);
  IndexArray t = xt::empty<Index>({300});
  for (std::size_t i = 0; i < 300; ++i) t(i) = static_cast<Index>(i * 37 % 500);
  t(5) = -100;  // an ignored row
  const float *output_data = nullptr, *grad_data = nullptr;
  Tensor held = spy(x, &output_data, &grad_data);
  Tensor loss = cross_entropy(hold_logits ? held : Tensor(held), t);
  if (!hold_logits) held = Tensor();
  loss.backward(Tensor(), retain_graph);
  return {x.grad().data<float>(), grad_data == output_data};
}

TEST(CrossEntropy, TurnsLogitsNobodyElseReadsIntoTheirGradientInPlace) {
  const InPlaceRun reused = cross_entropy_grad(/*hold_logits=*/false, /*retain_graph=*/false);
  const InPlaceRun held = cross_entropy_grad(/*hold_logits=*/true, false);
  const InPlaceRun retained = cross_entropy_grad(false, /*retain_graph=*/true);
  EXPECT_TRUE(reused.in_place);
  EXPECT_FALSE(held.in_place) << "the caller still holds the logits";
  EXPECT_FALSE(retained.in_place) << "the graph is kept for another backward";
  EXPECT_EQ(reused.grad, held.grad);  // the same bits either way
  EXPECT_EQ(retained.grad, held.grad);
}

TEST(CrossEntropy, Errors) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_TRUE(throws<IndexError>([&] { cross_entropy(x, IndexArray{{0, 1, 4}, {0, 0, 0}}); },
                                 {"cross_entropy", "target 4", "4 classes"}));
  EXPECT_TRUE(throws<IndexError>([&] { cross_entropy(x, IndexArray{{0, 1, -2}, {0, 0, 0}}); },
                                 {"cross_entropy", "target -2"}));
  EXPECT_TRUE(throws<ShapeError>([&] { cross_entropy(x, IndexArray{0, 1}); },
                                 {"cross_entropy", "[2, 3, 4]", "[2]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { cross_entropy(x, IndexArray{{0, 1}, {0, 1}}); }, {"cross_entropy", "[2, 2]"}));
  EXPECT_TRUE(throws<ShapeError>(
      [&] { cross_entropy(x, IndexArray{{0, 1, 2}, {0, 0, 0}}, CrossEntropyOptions().with_mask(Mask{true})); },
      {"cross_entropy", "mask [1]", "[2, 3]"}));
  // An out-of-range id that is ignored or masked out is not an error (PyTorch skips it too).
  EXPECT_NO_THROW(cross_entropy(zeros({1, 3}), IndexArray{-100}));
}

// ---- linear_cross_entropy: cross_entropy(linear(...)) without the logits -------------------------

struct LossAndGrads {
  double loss;
  std::vector<Tensor> grads;  // of x, weight, bias (undefined where not given)
};

/// The loss and the three gradients of `loss_fn(x, w, b)` scaled by `upstream`, from fresh leaves.
template <class LossFn>
LossAndGrads loss_and_grads(const LossFn& loss_fn, const std::vector<Tensor>& inputs, double upstream = 1.0) {
  std::vector<Tensor> leaves;
  for (const Tensor& t : inputs) leaves.push_back(t.defined() ? t.clone_leaf(true) : Tensor());
  Tensor loss = loss_fn(leaves[0], leaves[1], leaves[2]);
  (upstream == 1.0 ? loss : loss * upstream).backward();
  LossAndGrads out{loss.item(), {}};
  for (const Tensor& t : leaves) out.grads.push_back(t.defined() ? t.grad() : Tensor());
  return out;
}

/// Both ways of writing the output layer and its loss, for every option, over 600 rows (three
/// blocks of the fused op) on two threads: the same loss and gradients, to rounding (the products
/// are cut differently, and the fused op scales by the loss's gradient last).
TEST(LinearCrossEntropy, EqualsCrossEntropyOfLinear) {
  test::ThreadsGuard guard;
  set_num_threads(2);
  IndexArray t = xt::empty<Index>({2, 300});
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<Index>(i * 7 % 11);
  t(0, 3) = t(1, 299) = -100;
  Mask m = xt::ones<bool>({2, 300});
  m(1, 0) = m(0, 257) = false;
  for (Dtype d : {kFloat64, kFloat32}) {
    const double tol = d == kFloat64 ? 1e-12 : 2e-5;
    const Tensor x = random_input({2, 300, 7}, 1).to(d), w = random_input({11, 7}, 2).to(d);
    const Tensor b = random_input({11}, 3).to(d);
    for (const CrossEntropyOptions& o : {CrossEntropyOptions(), CrossEntropyOptions().reduce(Reduction::Sum),
                                          CrossEntropyOptions().with_mask(m)}) {
      for (const Tensor& bias : {b, Tensor()}) {
        for (double upstream : {1.0, -2.5}) {
          const LossAndGrads fused = loss_and_grads(
              [&](const Tensor& x, const Tensor& w, const Tensor& b) { return linear_cross_entropy(x, w, b, t, o); },
              {x, w, bias}, upstream);
          const LossAndGrads plain = loss_and_grads(
              [&](const Tensor& x, const Tensor& w, const Tensor& b) { return cross_entropy(linear(x, w, b), t, o); },
              {x, w, bias}, upstream);
          EXPECT_NEAR(fused.loss, plain.loss, tol * std::abs(plain.loss));
          for (std::size_t i = 0; i < 3; ++i) {
            ASSERT_EQ(fused.grads[i].defined(), plain.grads[i].defined());
            if (!plain.grads[i].defined()) continue;
            EXPECT_EQ(fused.grads[i].shape(), plain.grads[i].shape());
            const double size = std::max(1.0, test::max_abs_diff(plain.grads[i], zeros_like(plain.grads[i])));
            EXPECT_LT(test::max_abs_diff(fused.grads[i], plain.grads[i]), tol * size) << "gradient " << i;
          }
        }
      }
    }
  }
}

TEST(LinearCrossEntropy, Gradcheck) {
  const IndexArray t{{0, 4, -100}, {2, 2, 1}};
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    EXPECT_TRUE(gradcheck_op("linear_cross_entropy",
                             [&](const auto& in) {
                               return linear_cross_entropy(in[0], in[1], in[2], t, CrossEntropyOptions().reduce(r));
                             },
                             {random_input({2, 3, 4}), random_input({5, 4}, 2), random_input({5}, 3)}));
    EXPECT_TRUE(gradcheck_op("linear_cross_entropy",
                             [&](const auto& in) {
                               return linear_cross_entropy(in[0], in[1], Tensor(), t, CrossEntropyOptions().reduce(r));
                             },
                             {random_input({2, 3, 4}, 4), random_input({5, 4}, 5)}));
  }
  // More rows than one block: 260 rows of 2 features.
  IndexArray many = xt::empty<Index>({260});
  for (std::size_t i = 0; i < many.size(); ++i) many(i) = static_cast<Index>(i % 3);
  EXPECT_TRUE(gradcheck_op("linear_cross_entropy",
                           [&](const auto& in) { return linear_cross_entropy(in[0], in[1], in[2], many); },
                           {random_input({260, 2}, 6), random_input({3, 2}, 7), random_input({3}, 8)}));
}

TEST(LinearCrossEntropy, KeepsItsGradientsForAnotherBackwardAndRecordsNothingWithoutGrad) {
  const Tensor x = random_input({4, 3}, 1), w = random_input({5, 3}, 2), b = random_input({5}, 3);
  const IndexArray t{0, 4, 2, 1};
  Tensor loss = linear_cross_entropy(x, w, b, t);
  loss.backward(Tensor(), /*retain_graph=*/true);
  const xt::xarray<double> once = w.grad().data<double>();
  loss.backward();
  EXPECT_LT(xt::amax(xt::abs(w.grad().data<double>() - 2.0 * once))(), 1e-15);
  {
    NoGradGuard no_grad;
    Tensor value = linear_cross_entropy(x, w, b, t);
    EXPECT_FALSE(value.requires_grad());
    EXPECT_EQ(value.item(), loss.item());
  }
}

TEST(LinearCrossEntropy, Errors) {
  const Tensor x = zeros({2, 3, 4}), w = zeros({5, 4}), b = zeros({5});
  const IndexArray t{{0, 1, 2}, {3, 4, 0}};
  EXPECT_TRUE(throws<ValueError>([&] { linear_cross_entropy(x, w, b, t, CrossEntropyOptions().reduce(Reduction::None)); },
                                 {"linear_cross_entropy", "reduction None", "cross_entropy(linear("}));
  EXPECT_TRUE(throws<ShapeError>([&] { linear_cross_entropy(x, zeros({5, 3}), b, t); },
                                 {"linear_cross_entropy", "input [2, 3, 4]", "weight [5, 3]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { linear_cross_entropy(x, w, zeros({4}), t); },
                                 {"linear_cross_entropy", "bias [4]", "need bias (5)"}));
  EXPECT_TRUE(throws<ShapeError>([&] { linear_cross_entropy(x, w, b, IndexArray{0, 1}); },
                                 {"linear_cross_entropy", "targets [2] do not fit input [2, 3, 4]"}));
  EXPECT_TRUE(throws<IndexError>([&] { linear_cross_entropy(x, w, b, IndexArray{{0, 1, 5}, {0, 0, 0}}); },
                                 {"linear_cross_entropy", "target 5 at position 2", "5 classes"}));
  EXPECT_TRUE(throws<DtypeError>([&] { linear_cross_entropy(x, zeros({5, 4}, kFloat64), b, t); },
                                 {"linear_cross_entropy"}));
}

}  // namespace
}  // namespace tg
