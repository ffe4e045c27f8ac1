// gradcheck as a user feature: it passes correct ops, catches wrong ones and names the element.
#include "support/support.hpp"

namespace tg {
namespace {

// A deliberately wrong op: y = x^2 with backward 3x (should be 2x) at one element only.
Tensor wrong_square(const Tensor& x) {
  return record<double>("wrong_square", xt::xarray<double>(x.data<double>() * x.data<double>()), {x},
                        [](BackwardContext<double>& ctx) {
                          xt::xarray<double> g = 2 * ctx.input(0) * ctx.grad();
                          g(1, 2) *= 1.5;
                          ctx.accumulate(0, std::move(g));
                        });
}

TEST(Gradcheck, PassesACorrectFunction) {
  Tensor a = test::random_input({3, 4}, 1), b = test::random_input({4}, 2);
  auto r = gradcheck([](const auto& in) { return tanh(in[0] * in[1]) + in[0]; }, {a, b});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_LT(r.max_abs_error, 1e-8);
}

TEST(Gradcheck, NamesTheWrongElementAndBothValues) {
  Tensor x = test::random_input({2, 3}, 4);
  auto r = gradcheck([](const auto& in) { return wrong_square(in[0]); }, {x}, GradcheckOptions().no_raise());
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.message.find("input 0[1, 2]"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("analytical"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("numerical"), std::string::npos) << r.message;
  EXPECT_THROW(gradcheck([](const auto& in) { return wrong_square(in[0]); }, {x}), GradcheckError);
}

TEST(Gradcheck, NamedTensorsReportByName) {
  Tensor w = test::random_input({2, 3}, 5);
  auto r = gradcheck_named([&] { return wrong_square(w); }, {{"weight_hh_l1_reverse", w}},
                           GradcheckOptions().no_raise());
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.message.find("weight_hh_l1_reverse[1, 2]"), std::string::npos) << r.message;
}

TEST(Gradcheck, RefusesFloat32WithAReason) {
  Tensor x = randn({3}, TensorOptions().requires_grad());
  try {
    gradcheck([](const auto& in) { return tanh(in[0]); }, {x});
    FAIL() << "expected DtypeError";
  } catch (const DtypeError& e) {
    EXPECT_NE(std::string(e.what()).find("float64"), std::string::npos) << e.what();
  }
}

TEST(Gradcheck, NothingToCheckIsAnError) {
  Tensor x = zeros({3}, kFloat64);
  EXPECT_THROW(gradcheck([](const auto& in) { return tanh(in[0]); }, {x}), ValueError);
}

}  // namespace
}  // namespace tg
