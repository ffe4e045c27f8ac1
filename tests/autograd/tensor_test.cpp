// The tensor handle: creation, shapes, printing, dtype rules.
#include "support/support.hpp"

namespace tg {
namespace {

TEST(Tensor, CreationShapesAndValues) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.dtype(), kFloat32);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6u);
  EXPECT_EQ(z.size(-1), 3u);
  EXPECT_EQ(ones({4}, kFloat64).data<double>()(3), 1.0);
  EXPECT_EQ(full({2}, 7.5).data<float>()(1), 7.5f);
  Tensor r = arange(0, 5, 2);
  EXPECT_EQ(r.shape(), (Shape{3}));
  EXPECT_EQ(r.data<float>()(2), 4.0f);
  Tensor m = tensor({{1, 2}, {3, 4}}, kFloat64);
  EXPECT_EQ(m.shape(), (Shape{2, 2}));
  EXPECT_EQ(m.data<double>()(1, 0), 3.0);
  EXPECT_EQ(tensor(2.5).item(), 2.5);
  Tensor a = from_array(xt::xarray<double>{1.0, 2.0});
  EXPECT_EQ(a.dtype(), kFloat64);
}

TEST(Tensor, WrongDtypeAccessThrows) {
  Tensor z = zeros({2});
  EXPECT_THROW(z.data<double>(), DtypeError);
  EXPECT_THROW(Tensor().shape(), ValueError);
  EXPECT_THROW(zeros({2, 2}).item(), ShapeError);
}

TEST(Tensor, RandomIsSeedable) {
  manual_seed(42);
  Tensor a = randn({5});
  manual_seed(42);
  Tensor b = randn({5});
  EXPECT_EQ(test::max_abs_diff(a, b), 0.0);
  Tensor u = rand({1000}, kFloat64, -2, 3);
  EXPECT_GE(xt::amin(u.data<double>())(), -2.0);
  EXPECT_LT(xt::amax(u.data<double>())(), 3.0);
  Generator g(7), h(7);
  EXPECT_EQ(test::max_abs_diff(randn({3}, kFloat32, &g), randn({3}, kFloat32, &h)), 0.0);
}

TEST(Tensor, GeneratorStateRoundTrips) {
  Generator g(3);
  g.normal();  // leave a spare normal in the state
  const std::string saved = g.state();
  const double next = g.normal(), after = g.uniform();
  Generator h;
  h.set_state(saved);
  EXPECT_EQ(h.normal(), next);
  EXPECT_EQ(h.uniform(), after);
  EXPECT_THROW(h.set_state("garbage"), ValueError);
}

TEST(Tensor, PrintsLikePyTorch) {
  Tensor t = tensor({{1, 2}, {3, 4}});
  EXPECT_EQ(t.str(), "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], dtype=float32)");
  t.requires_grad_();
  EXPECT_NE(t.str().find("requires_grad=true"), std::string::npos);
  EXPECT_NE((t * 2).str().find("grad_fn=mul"), std::string::npos);
  EXPECT_EQ(arange(0, 10).str(),
            "tensor([0.0000, 1.0000, 2.0000, ..., 7.0000, 8.0000, 9.0000], dtype=float32)");
}

TEST(Tensor, MixingDtypesIsAClearError) {
  Tensor a = ones({2}), b = ones({2}, kFloat64);
  try {
    (void)(a + b);
    FAIL() << "expected DtypeError";
  } catch (const DtypeError& e) {
    EXPECT_NE(std::string(e.what()).find("add: input 1 is float64 but input 0 is float32"), std::string::npos)
        << e.what();
  }
}

TEST(Tensor, CastIsDifferentiable) {
  Tensor a = tensor({1, 2}, TensorOptions().requires_grad());
  Tensor b = a.to(kFloat64);
  EXPECT_EQ(b.dtype(), kFloat64);
  sum(b * b).backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(a.grad().data<float>()(1), 4.0f);
}

}  // namespace
}  // namespace tg
