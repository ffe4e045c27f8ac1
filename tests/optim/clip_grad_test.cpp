// Gradient clipping: parity with torch.nn.utils.clip_grad_norm_, infinity norm, non-finite norms,
// thread-count independence, clip_grad_value.
#include "support/optim_support.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace tg::optim {
namespace {

TEST(ClipGrad, MatchesTorch) {
  const StateDict ref = load_npz(test::data_path("optim/clip_grad.npz"));
  for (const auto& [tag, norm_type] : {std::pair{"2", 2.0}, {"1", 1.0}, {"inf", INFINITY}, {"3", 3.0}})
    for (const char* max_norm : {"0.5", "100.0"}) {
      SCOPED_TRACE(fmt::format("norm {} max {}", tag, max_norm));
      NamedParameters params;
      for (int i = 0; i < 3; ++i) {
        const Tensor& g = ref.at(fmt::format("grad.{}", i));
        params.emplace_back(fmt::format("p{}", i), zeros_like(g).requires_grad_());
        test::set_grad(params.back().second, g);
      }
      const double total = clip_grad_norm(params, std::stod(max_norm), norm_type);
      EXPECT_NEAR(total, ref.at(fmt::format("norm.{}.{}", tag, max_norm)).item(), 1e-13);
      for (int i = 0; i < 3; ++i)
        EXPECT_LT(test::max_abs_diff(params[i].second.grad(), ref.at(fmt::format("clipped.{}.{}.{}", tag, max_norm, i))), 1e-14);
    }
}

TEST(ClipGrad, ByHand) {
  Tensor a = zeros({2}, TensorOptions(kFloat64).requires_grad()), b = zeros({1}, TensorOptions(kFloat64).requires_grad()),
         frozen = zeros({1}, TensorOptions(kFloat64).requires_grad());
  test::set_grad(a, tensor({3, 0}, kFloat64));
  test::set_grad(b, tensor({-4}, kFloat64));
  EXPECT_EQ(clip_grad_norm({a, b, frozen}, 1.0), 5.0);  // no gradient on `frozen`: ignored
  EXPECT_NEAR(a.grad().data<double>()(0), 3 / (5 + 1e-6), 1e-15);
  EXPECT_NEAR(b.grad().data<double>()(0), -4 / (5 + 1e-6), 1e-15);
  EXPECT_NEAR(clip_grad_norm({a, b}, 10.0, INFINITY), 4 / (5 + 1e-6), 1e-15);
  EXPECT_NEAR(b.grad().data<double>()(0), -4 / (5 + 1e-6), 1e-15);  // under max_norm: untouched
}

TEST(ClipGrad, NonFiniteNorm) {
  Tensor a = zeros({2}, TensorOptions().requires_grad());
  test::set_grad(a, tensor({std::numeric_limits<double>::infinity(), 1}));
  try {
    clip_grad_norm({a}, 1.0, 2, /*error_if_nonfinite=*/true);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("clip_grad_norm: the total norm of order 2 of the gradients is inf"),
              std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::isinf(clip_grad_norm({a}, 1.0)));
  EXPECT_THROW(clip_grad_norm({a}, 1.0, -1), ValueError);
}

// A negative max_norm would make the coefficient negative: the gradients flip and training ascends.
TEST(ClipGrad, RejectsANegativeOrNaNMaxNorm) {
  Tensor a = zeros({2}, TensorOptions().requires_grad());
  test::set_grad(a, tensor({3, 4}));
  EXPECT_EQ(test::error_of([&] { clip_grad_norm({a}, -1.0); }),
            "clip_grad_norm: max_norm = -1 (must be >= 0; a negative one would flip the gradients' sign)");
  EXPECT_TRUE(test::throws<ValueError>([&] { clip_grad_norm(NamedParameters{{"a", a}}, std::nan("")); },
                                       {"clip_grad_norm: max_norm = nan"}));
  EXPECT_EQ(a.grad().data<float>(), (xt::xarray<float>{3, 4}));  // untouched
  EXPECT_EQ(clip_grad_norm({a}, INFINITY), 5.0);                  // no limit: allowed, as in PyTorch
  EXPECT_EQ(clip_grad_norm({a}, 0.0), 5.0);                       // zeroes the gradients
  EXPECT_EQ(a.grad().data<float>(), (xt::xarray<float>{0, 0}));
}

TEST(ClipGrad, NormIsBitwiseIdenticalForAnyThreadCount) {
  std::vector<double> norms;
  std::vector<NamedParameters> clipped;
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    NamedParameters params = test::make_training_params();
    for (const auto& [name, p] : params) test::set_grad(p, p.detach());
    norms.push_back(clip_grad_norm(params, 1.0));
    NamedParameters grads;
    for (const auto& [name, p] : params) grads.emplace_back(name, p.grad());
    clipped.push_back(grads);
  }
  set_num_threads(0);
  EXPECT_EQ(std::memcmp(&norms[0], &norms[1], sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&norms[0], &norms[2], sizeof(double)), 0);
  EXPECT_TRUE(test::bitwise_equal(clipped[0], clipped[2]));
}

TEST(ClipGrad, Value) {
  Tensor a = zeros({4}, TensorOptions().requires_grad());
  test::set_grad(a, tensor({-3, -0.5, 0.25, 2}));
  clip_grad_value(NamedParameters{{"a", a}}, 1.0);
  EXPECT_EQ(a.grad().data<float>(), (xt::xarray<float>{-1, -0.5, 0.25, 1}));
  EXPECT_THROW(clip_grad_value({a}, -1), ValueError);
}

}  // namespace
}  // namespace tg::optim
