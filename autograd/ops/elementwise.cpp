// Elementwise functions of one tensor. Each backward captures only what it needs: the output
// for exp/tanh/sigmoid/sqrt/relu, the input for log/abs/clamp.
#include "autograd/ops/common.hpp"
#include "autograd/ops/isa/table.hpp"

namespace tg {

namespace {
/// Records y = forward(x) with backward dx = derivative(ctx) (an expression in ctx's values).
template <class Forward, class Derivative>
Tensor unary(const char* name, const Tensor& x, Forward forward, Derivative derivative) {
  detail::check_defined(name, x);
  return visit_dtype(x.dtype(), [&]<class T>() {
    return record<T>(name, xt::xarray<T>(forward(x.data<T>())), {x},
                     [derivative](BackwardContext<T>& ctx) { ctx.accumulate(0, derivative(ctx)); });
  });
}

/// A forward for unary(): y = f(x) by the map kernel `pick(table)` of the instruction set in use
/// (isa/table.hpp), on all of the CPU's lanes; xtensor's own functions run on the baseline's.
template <class Pick>
auto simd_map(Pick pick) {
  return [pick](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    auto y = xt::xarray<T>::from_shape(a.shape());
    pick(detail::isa::kernels<T>())(a.data(), y.data(), a.size());
    return y;
  };
}
}  // namespace

// y = e^x;  dx = dy * y
Tensor exp(const Tensor& x) {
  return unary("exp", x, simd_map([](const auto& k) { return k.map_exp; }),
               [](const auto& ctx) { return ctx.grad() * ctx.output(); });
}

// y = ln x;  dx = dy / x
Tensor log(const Tensor& x) {
  return unary("log", x, [](const auto& a) { return xt::log(a); },
               [](const auto& ctx) { return ctx.grad() / ctx.input(0); });
}

// y = sqrt(x);  dx = dy / (2 y)
Tensor sqrt(const Tensor& x) {
  return unary("sqrt", x, [](const auto& a) { return xt::sqrt(a); },
               [](const auto& ctx) { return ctx.grad() / (ctx.output() + ctx.output()); });
}

// y = |x|;  dx = dy * sign(x)   (sign(0) = 0, as PyTorch)
Tensor abs(const Tensor& x) {
  return unary("abs", x, [](const auto& a) { return xt::abs(a); },
               [](const auto& ctx) { return ctx.grad() * xt::sign(ctx.input(0)); });
}

// y = tanh(x);  dx = dy * (1 - y^2)
Tensor tanh(const Tensor& x) {
  return unary("tanh", x, simd_map([](const auto& k) { return k.map_tanh; }),
               [](const auto& ctx) { return ctx.grad() * (1 - ctx.output() * ctx.output()); });
}

// y = 1 / (1 + e^-x);  dx = dy * y * (1 - y)
Tensor sigmoid(const Tensor& x) {
  return unary("sigmoid", x, simd_map([](const auto& k) { return k.map_sigmoid; }),
               [](const auto& ctx) { return ctx.grad() * ctx.output() * (1 - ctx.output()); });
}

// y = max(x, 0);  dx = dy * (y > 0)
Tensor relu(const Tensor& x) {
  return unary("relu", x, [](const auto& a) { return xt::maximum(a, 0); },
               [](const auto& ctx) {
                 using T = typename std::decay_t<decltype(ctx.output())>::value_type;
                 return ctx.grad() * xt::cast<T>(ctx.output() > 0);
               });
}

// y = min(max(x, lo), hi);  dx = dy where lo <= x <= hi, else 0
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  if (min && max && *min > *max) fail<ValueError>("clamp: min ({}) is greater than max ({})", *min, *max);
  const double lo = min.value_or(-std::numeric_limits<double>::infinity());
  const double hi = max.value_or(std::numeric_limits<double>::infinity());
  return unary("clamp", x,
               [lo, hi](const auto& a) {
                 using T = typename std::decay_t<decltype(a)>::value_type;
                 return xt::clip(a, static_cast<T>(lo), static_cast<T>(hi));
               },
               [lo, hi](const auto& ctx) {
                 using T = typename std::decay_t<decltype(ctx.output())>::value_type;
                 const auto& in = ctx.input(0);
                 return ctx.grad() * xt::cast<T>(in >= static_cast<T>(lo) && in <= static_cast<T>(hi));
               });
}

// y = x as another dtype;  dx = dy converted back
Tensor cast(const Tensor& x, Dtype dtype) {
  detail::check_defined("cast", x);
  if (x.dtype() == dtype) return x;
  return visit_dtype(dtype, [&]<class To>() {
    return visit_dtype(x.dtype(), [&]<class From>() {
      return record<To>("cast", xt::xarray<To>(xt::cast<To>(x.data<From>())), {x}, [](BackwardContext<To>& ctx) {
        if (ctx.needs_grad(0))
          ctx.run().template accumulate<From>(ctx.input_impl(0), xt::xarray<From>(xt::cast<From>(ctx.grad())));
      });
    });
  });
}

}  // namespace tg
