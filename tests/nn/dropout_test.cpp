// Dropout: train/eval toggling, scaling, gradcheck with a fixed mask, option checks.
#include "support/support.hpp"

#include <nn/dropout.hpp>
#include <nn/linear.hpp>
#include <nn/module_gradcheck.hpp>
#include <nn/sequential.hpp>

namespace tg::nn {
namespace {

TEST(Dropout, TrainDropsAndScalesEvalIsIdentity) {
  auto model = std::make_shared<Sequential>(std::make_shared<Dropout>(0.25));
  Tensor x = ones({100, 100});
  manual_seed(1);
  const Tensor out = model->forward(x);
  const auto& y = out.data<float>();
  const double kept = static_cast<double>(xt::sum(xt::not_equal(y, 0.0f))());
  EXPECT_NEAR(kept / 10000.0, 0.75, 0.02);
  EXPECT_EQ(xt::amax(y)(), 1.0f / 0.75f);  // survivors are scaled by 1 / (1 - p)
  model->eval();  // recursive: reaches the Dropout inside
  EXPECT_EQ(test::max_abs_diff(model->forward(x), x), 0.0);
  model->train();
  EXPECT_GT(test::max_abs_diff(model->forward(x), x), 0.0);
}

TEST(Dropout, GradcheckWithAFixedMask) {
  Dropout drop(0.4);
  Tensor x = test::random_input({4, 5});
  EXPECT_TRUE(test::gradcheck_op("Dropout",
                                 [&](const auto& in) {
                                   manual_seed(7);  // the same mask on every evaluation
                                   return drop.forward(in[0]);
                                 },
                                 {x}));
}

TEST(Dropout, RejectsBadProbabilities) {
  EXPECT_TRUE(test::throws<ValueError>([] { Dropout(1.5); }, {"Dropout(p=1.5)"}));
  EXPECT_THROW(Dropout(-0.1), ValueError);
  EXPECT_EQ(Dropout(0.1).str(), "Dropout(p=0.1)  # 0 parameters");
}

}  // namespace
}  // namespace tg::nn
