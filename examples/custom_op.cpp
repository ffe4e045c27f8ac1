// Defining your own differentiable op, and proving its backward right with gradcheck.
//
// An op is a function that computes its value and records one backward closure next to it.
// Here: softplus(x) = log(1 + e^x), whose derivative is sigmoid(x).
#include <tapegrad.hpp>

#include <iostream>

// y = log(1 + e^x);  dx = dy * sigmoid(x)
tg::Tensor softplus(const tg::Tensor& x) {
  return tg::visit_dtype(x.dtype(), [&]<class T>() {
    const auto& a = x.data<T>();
    // max(x, 0) + log1p(e^-|x|) is the overflow-free form of log(1 + e^x).
    xt::xarray<T> y = xt::maximum(a, T(0)) + xt::log1p(xt::exp(-xt::abs(a)));
    return tg::record<T>("softplus", std::move(y), {x}, [](tg::BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad() / (1 + xt::exp(-ctx.input(0))));
    });
  });
}

// The same op with a classic mistake: the derivative of log(1 + e^x) taken as e^x / (1 + e^x)^2.
tg::Tensor softplus_wrong(const tg::Tensor& x) {
  return tg::visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::log1p(xt::exp(x.data<T>()));
    return tg::record<T>("softplus_wrong", std::move(y), {x}, [](tg::BackwardContext<T>& ctx) {
      auto e = xt::exp(ctx.input(0));
      ctx.accumulate(0, ctx.grad() * e / ((1 + e) * (1 + e)));
    });
  });
}

int main() {
  tg::manual_seed(0);
  tg::Tensor x = tg::randn({3, 4}, tg::TensorOptions().dtype(tg::kFloat64).requires_grad());

  // gradcheck compares the backward closure with central finite differences, element by element.
  auto ok = tg::gradcheck([](const std::vector<tg::Tensor>& in) { return softplus(in[0]); }, {x});
  std::cout << "softplus: gradcheck passed (max abs error " << ok.max_abs_error << ")\n";

  auto bad = tg::gradcheck([](const std::vector<tg::Tensor>& in) { return softplus_wrong(in[0]); }, {x},
                           tg::GradcheckOptions().no_raise());
  std::cout << "softplus_wrong: " << (bad.ok ? "passed?!" : "caught") << "\n  " << bad.message << "\n";
  return bad.ok ? 1 : 0;  // the wrong backward must be caught
}
