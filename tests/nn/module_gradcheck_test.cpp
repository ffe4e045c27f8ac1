// Module-level gradcheck: perturbs parameters by dotted name and reports failures by name.
#include "support/support.hpp"

#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

struct Inner : Module {
  Inner() : Module("Inner") { weight = register_parameter("weight", randn({2, 3}, kFloat64)); }
  Tensor weight;
};
struct Outer : Module {
  Outer() : Module("Outer") { inner = register_module("inner", std::make_shared<Inner>()); }
  std::shared_ptr<Inner> inner;
};

TEST(ModuleGradcheck, PassesForACorrectGradient) {
  Outer m;
  Tensor x = test::random_input({2, 3});
  EXPECT_TRUE(gradcheck(m, [&] { return tanh(m.inner->weight) * x; }).ok);
}

TEST(ModuleGradcheck, AFailureNamesTheParameterAndElement) {
  Outer m;
  // detach() hides half of the dependence from the tape: the analytical gradient is w, not 2w.
  auto r = gradcheck(m, [&] { return sum(m.inner->weight.detach() * m.inner->weight); },
                     GradcheckOptions().no_raise());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("inner.weight[0, 0]"), std::string::npos) << r.message;
}

TEST(ModuleGradcheck, RefusesFloat32Modules) {
  Outer m;
  m.to(kFloat32);
  EXPECT_THROW(gradcheck(m, [&] { return sum(m.inner->weight); }), DtypeError);
}

}  // namespace
}  // namespace tg::nn
