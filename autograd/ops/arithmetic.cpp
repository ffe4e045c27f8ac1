// Elementwise arithmetic with NumPy broadcasting; backward sums over broadcast axes (in
// BackwardContext::accumulate).
#include "autograd/ops/common.hpp"

namespace tg {

using detail::check_binary;

// z = a + b;  da = dz, db = dz
Tensor add(const Tensor& a, const Tensor& b) {
  check_binary("add", a, b);
  return visit_dtype(a.dtype(), [&]<class T>() {
    return record<T>("add", xt::xarray<T>(a.data<T>() + b.data<T>()), {a, b}, [](BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad());
      ctx.accumulate(1, ctx.grad());
    }, OutputUse::NotRead);
  });
}

// z = a - b;  da = dz, db = -dz
Tensor sub(const Tensor& a, const Tensor& b) {
  check_binary("sub", a, b);
  return visit_dtype(a.dtype(), [&]<class T>() {
    return record<T>("sub", xt::xarray<T>(a.data<T>() - b.data<T>()), {a, b}, [](BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad());
      ctx.accumulate(1, -ctx.grad());
    }, OutputUse::NotRead);
  });
}

// z = a * b;  da = dz * b, db = dz * a
Tensor mul(const Tensor& a, const Tensor& b) {
  check_binary("mul", a, b);
  return visit_dtype(a.dtype(), [&]<class T>() {
    return record<T>("mul", xt::xarray<T>(a.data<T>() * b.data<T>()), {a, b}, [](BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad() * ctx.input(1));
      ctx.accumulate(1, ctx.grad() * ctx.input(0));
    }, OutputUse::NotRead);
  });
}

// z = a / b;  da = dz / b, db = -dz * z / b
Tensor div(const Tensor& a, const Tensor& b) {
  check_binary("div", a, b);
  return visit_dtype(a.dtype(), [&]<class T>() {
    return record<T>("div", xt::xarray<T>(a.data<T>() / b.data<T>()), {a, b}, [](BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad() / ctx.input(1));
      ctx.accumulate(1, -ctx.grad() * ctx.output() / ctx.input(1));
    });
  });
}

// y = -x;  dx = -dy
Tensor neg(const Tensor& x) {
  detail::check_defined("neg", x);
  return visit_dtype(x.dtype(), [&]<class T>() {
    return record<T>("neg", xt::xarray<T>(-x.data<T>()), {x},
                     [](BackwardContext<T>& ctx) { ctx.accumulate(0, -ctx.grad()); }, OutputUse::NotRead);
  });
}

// y = x^p;  dx = dy * p * x^(p-1)
Tensor pow(const Tensor& x, double exponent) {
  detail::check_defined("pow", x);
  return visit_dtype(x.dtype(), [&]<class T>() {
    const T p = static_cast<T>(exponent);
    const auto& a = x.data<T>();
    // Squares are common (variances, L2 terms) and SIMD pow is not exact for them: 3^2 must be 9.
    xt::xarray<T> y = exponent == 2 ? xt::xarray<T>(a * a) : xt::xarray<T>(xt::pow(a, p));
    return record<T>("pow", std::move(y), {x}, [p](BackwardContext<T>& ctx) {
      if (p == 2) ctx.accumulate(0, ctx.grad() * 2 * ctx.input(0));
      else ctx.accumulate(0, ctx.grad() * p * xt::pow(ctx.input(0), p - 1));
    });
  });
}

Tensor scalar_like(double value, const Tensor& like) {
  detail::check_defined("scalar", like);
  return visit_dtype(like.dtype(), [&]<class T>() { return Tensor(xt::xarray<T>(static_cast<T>(value))); });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(b, a)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(b, a)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(b, a)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(a, b), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(a, b), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(a, b), b); }

}  // namespace tg
