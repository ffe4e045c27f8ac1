// Tape semantics: accumulation, fan-out, retain_graph, no_grad, detach, grad(), long chains, threads,
// and when outputs nobody reads in backward are freed.
#include "support/support.hpp"

#include <autograd/function.hpp>

#include <memory>
#include <thread>

namespace tg {
namespace {

Tensor leaf(std::initializer_list<double> values) {
  return tensor(values, TensorOptions().dtype(kFloat64).requires_grad());
}

TEST(Graph, GradientsAccumulateIntoLeavesAcrossBackwards) {
  Tensor x = leaf({1, 2, 3});
  sum(x * 2).backward();
  sum(x * 3).backward();
  EXPECT_EQ(x.grad().data<double>(), (xt::xarray<double>{5, 5, 5}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Graph, FanOutSumsTheBranches) {
  Tensor x = leaf({2});
  Tensor y = x * x + x;  // dy/dx = 2x + 1 = 5
  y.backward();
  EXPECT_EQ(x.grad().item(), 5.0);
}

TEST(Graph, DiamondRunsEachNodeOnceAfterAllItsConsumers) {
  Tensor x = leaf({0.5});
  Tensor a = tanh(x);
  Tensor b = a * a;      // two paths from b down to a
  Tensor c = b + a * 3;  // and a third
  c.backward();
  const double t = std::tanh(0.5);
  EXPECT_NEAR(x.grad().item(), (2 * t + 3) * (1 - t * t), 1e-15);
}

TEST(Graph, SecondBackwardThroughFreedGraphIsAClearError) {
  Tensor x = leaf({1, 2});
  Tensor loss = sum(tanh(x));
  loss.backward();
  try {
    loss.backward();
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Graph, SharedSubgraphFreedByAnEarlierBackwardIsDetected) {
  Tensor x = leaf({1, 2});
  Tensor h = tanh(x);
  Tensor l1 = sum(h), l2 = sum(h * 2);
  l1.backward();
  EXPECT_THROW(l2.backward(), GraphError);
}

TEST(Graph, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf({1, 2});
  Tensor loss = sum(tanh(x));
  loss.backward(true);
  const xt::xarray<double> first = x.grad().data<double>();
  loss.backward();
  EXPECT_EQ(x.grad().data<double>(), xt::xarray<double>(2 * first));
}

TEST(Graph, NoGradRecordsNothing) {
  Tensor x = leaf({1});
  {
    NoGradGuard guard;
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.grad_fn());
  }
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(Graph, DetachCutsTheGraph) {
  Tensor x = leaf({3});
  Tensor d = (x * 2).detach();
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(d.requires_grad());
  Tensor y = x * d;  // d is a constant 6
  y.backward();
  EXPECT_EQ(x.grad().item(), 6.0);
}

TEST(Graph, BackwardNeedsAScalarOrAnExplicitGradient) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 3;
  EXPECT_THROW(y.backward(), GraphError);
  y.backward(tensor({1, 10}, kFloat64));
  EXPECT_EQ(x.grad().data<double>(), (xt::xarray<double>{3, 30}));
  EXPECT_THROW((x * 3).backward(tensor({1, 2, 3}, kFloat64)), ShapeError);
  EXPECT_THROW((x * 3).backward(tensor({1, 2}, kFloat32)), DtypeError);
}

TEST(Graph, BackwardOfAConstantIsAClearError) {
  Tensor c = tensor({1.0}, kFloat64);
  EXPECT_THROW(sum(c * 2).backward(), GraphError);
}

TEST(Graph, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = leaf({1, 2}), w = leaf({3, 4});
  Tensor h = x * w;
  Tensor loss = sum(h * h);
  std::vector<Tensor> outs{loss};
  std::vector<Tensor> ins{x, h};
  auto g = grad(outs, ins);
  // d/dx sum((xw)^2) = 2 x w^2; d/dh = 2h
  EXPECT_EQ(g[0].data<double>(), (xt::xarray<double>{18, 64}));
  EXPECT_EQ(g[1].data<double>(), (xt::xarray<double>{6, 16}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Graph, GradOfAnUnusedInputThrowsUnlessAllowed) {
  Tensor x = leaf({1}), unused = leaf({1});
  std::vector<Tensor> outs{sum(x * 2)};
  std::vector<Tensor> ins{x, unused};
  EXPECT_THROW(grad(outs, ins, {}, GradOptions{.retain_graph = true}), GraphError);
  auto g = grad(outs, ins, {}, GradOptions{.allow_unused = true});
  EXPECT_EQ(g[0].item(), 2.0);
  EXPECT_FALSE(g[1].defined());
}

TEST(Graph, HundredThousandOpChainBackpropsAndFreesWithoutRecursion) {
  Tensor x = leaf({0.5});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y.backward();
  EXPECT_EQ(x.grad().item(), 1.0);
  // A retained chain is destroyed by dropping its last handle: must not recurse either.
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z + 0.0;
  z.backward(true);
  z = Tensor();
  SUCCEED();
}

TEST(Graph, ThousandStepRecurrentUnroll) {
  Generator g(3);
  Tensor w = randn({8, 8}, kFloat64, &g);
  w.data<double>() *= 0.2;
  w.requires_grad_();
  Tensor h = randn({4, 8}, kFloat64, &g);
  for (int t = 0; t < 1000; ++t) h = tanh(matmul(h, w) + 0.1);
  sum(h).backward();
  EXPECT_EQ(w.grad().shape(), (Shape{8, 8}));
  EXPECT_TRUE(xt::all(xt::isfinite(w.grad().data<double>())));
}

TEST(Graph, TwoThreadsBuildAndBackpropIndependentGraphs) {
  auto work = [](double scale, double* result) {
    Tensor x = tensor({scale}, TensorOptions().dtype(kFloat64).requires_grad());
    Tensor y = x;
    for (int i = 0; i < 20000; ++i) y = tanh(y) + x * 0.001;
    y.backward();
    *result = x.grad().item();
  };
  double serial_a, serial_b;
  work(0.3, &serial_a);
  work(0.7, &serial_b);
  double a = 0, b = 0;
  std::thread ta(work, 0.3, &a), tb(work, 0.7, &b);
  ta.join();
  tb.join();
  EXPECT_EQ(a, serial_a);
  EXPECT_EQ(b, serial_b);
}

TEST(Graph, AnomalyModeNamesTheOpAndTheModulePath) {
  Tensor x = tensor({-1.0}, TensorOptions().dtype(kFloat64).requires_grad());
  EXPECT_NO_THROW(log(x));  // off by default: NaN passes silently, as in PyTorch
  DetectAnomalyGuard anomaly;
  RecordScope scope("encoder");
  try {
    (void)log(x);
    FAIL() << "expected an anomaly";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("forward of 'log'"), std::string::npos) << what;
    EXPECT_NE(what.find("encoder"), std::string::npos) << what;
  }
  Tensor z = tensor({0.0}, TensorOptions().dtype(kFloat64).requires_grad());
  Tensor s = sqrt(z);  // finite forward, infinite gradient
  try {
    s.backward();
    FAIL() << "expected an anomaly in backward";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("backward of 'sqrt'"), std::string::npos) << e.what();
  }
}

// y = 2x, recorded with the given OutputUse; its backward notes whether its output still exists.
Tensor doubled(const Tensor& x, OutputUse use, std::shared_ptr<std::weak_ptr<TensorImpl>> output, bool* alive) {
  Tensor y = record<double>("doubled", xt::xarray<double>(2.0 * x.data<double>()), {x},
                            [output, alive](BackwardContext<double>& ctx) {
                              *alive = !output->expired();
                              ctx.accumulate(0, 2.0 * ctx.grad());
                            }, use);
  *output = y.impl_ptr();
  return y;
}

bool output_alive_in_backward(OutputUse use) {
  Tensor x = leaf({1, 2, 3});
  auto output = std::make_shared<std::weak_ptr<TensorImpl>>();
  bool alive = true;
  Tensor loss = sum(tanh(doubled(x, use, output, &alive)));  // the doubled tensor is a temporary
  loss.backward();
  EXPECT_NEAR(x.grad().data<double>()(0), 2 * (1 - std::pow(std::tanh(2.0), 2)), 1e-15);
  return alive;
}

TEST(Graph, AnOutputNobodyReadsInBackwardIsFreedBeforeItsOpsBackward) {
  EXPECT_FALSE(output_alive_in_backward(OutputUse::NotRead));
  EXPECT_TRUE(output_alive_in_backward(OutputUse::ReadInBackward));  // control: kept for the op's backward
}

TEST(Graph, ReadingTheOutputOfAnOpRecordedWithNotReadIsAClearError) {
  Tensor x = leaf({1, 2});
  Tensor y = record<double>("reads_its_output", xt::xarray<double>(x.data<double>()), {x},
                            [](BackwardContext<double>& ctx) { ctx.accumulate(0, ctx.grad() * ctx.output()); },
                            OutputUse::NotRead);
  EXPECT_TRUE(test::throws<GraphError>([&] { sum(y).backward(); },
                                       {"backward of 'reads_its_output' reads its output", "OutputUse::NotRead"}));
}

// A custom op recorded in one dtype over an input of another: its backward reads and accumulates
// the input in the op's dtype. The error names the op and both dtypes (not std::bad_variant_access),
// and leaves no gradient behind.
TEST(Graph, ABackwardThatMixesDtypesNamesTheOpAndTheDtypes) {
  Tensor x = tensor({1, 2}, TensorOptions().requires_grad());  // float32
  auto as_double = [&](const char* name, auto backward) {
    return record<double>(name, xt::xarray<double>(xt::cast<double>(x.data<float>())), {x}, backward);
  };
  Tensor y = as_double("widen_by_hand", [](BackwardContext<double>& ctx) { ctx.accumulate(0, ctx.grad()); });
  EXPECT_TRUE(test::throws<DtypeError>([&] { sum(y).backward(); },
                                       {"backward of 'widen_by_hand' works in float64 but its input 0 is float32"}));
  EXPECT_FALSE(x.grad().defined());
  Tensor z = as_double("reads_its_input", [](BackwardContext<double>& ctx) { ctx.accumulate(0, ctx.grad() * ctx.input(0)); });
  EXPECT_TRUE(test::throws<DtypeError>([&] { sum(z).backward(); }, {"'reads_its_input'", "float64", "float32"}));
}

// LeafGradReadyGuard: each leaf is announced once, when its gradient is already final.
TEST(Graph, LeafGradReadyHookAnnouncesEachLeafOnceWithItsFinalGradient) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4}), unused_path = leaf({5, 6});
  // a feeds two ops (its gradient is final only after both ran); b is read last in forward, so first
  // in backward; unused_path reaches the loss through a product by zero, still an edge of the graph.
  Tensor loss = sum(a * 2) + sum(a * b) + sum(unused_path * 0);
  std::vector<std::pair<const TensorImpl*, std::vector<double>>> seen;
  {
    LeafGradReadyGuard guard([&](const TensorImpl& l) {
      const Tensor g = Tensor(std::const_pointer_cast<TensorImpl>(l.grad));
      seen.push_back({&l, std::vector<double>(g.data<double>().begin(), g.data<double>().end())});
    });
    loss.backward();
  }
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& [impl, grad] : seen) {
    const Tensor& t = impl == &a.impl() ? a : impl == &b.impl() ? b : unused_path;
    const xt::xarray<double> final_grad = t.grad().data<double>();
    EXPECT_EQ(grad, std::vector<double>(final_grad.begin(), final_grad.end()));
  }
  // The guard is gone: no more announcements.
  sum(a * 3).backward();
  EXPECT_EQ(seen.size(), 3u);
}

// An op given an absent optional operand (a bias=false layer's bias) records it as a null input;
// the hook's walk over the graph passes it by.
TEST(Graph, LeafGradReadyHookPassesAbsentOptionalOperands) {
  Tensor x = leaf({1, 2}), w = leaf({3, 4});
  Tensor loss = sum(linear(reshape(x, {1, 2}), reshape(w, {1, 2}), Tensor()));
  std::size_t announced = 0;
  {
    LeafGradReadyGuard guard([&](const TensorImpl&) { ++announced; });
    loss.backward();
  }
  EXPECT_EQ(announced, 2u);
}

TEST(Graph, LeafGradReadyHookIsNotCalledByGrad) {
  Tensor x = leaf({1, 2});
  int calls = 0;
  LeafGradReadyGuard guard([&](const TensorImpl&) { ++calls; });
  grad(std::vector<Tensor>{sum(x * x)}, std::vector<Tensor>{x});
  EXPECT_EQ(calls, 0);
  sum(x * x).backward();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tg
