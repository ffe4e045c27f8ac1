// Inverted dropout: the kept elements are scaled at training time, so evaluation is the identity.
#include "autograd/ops/common.hpp"
#include "autograd/random.hpp"

#include <cmath>
#include <mutex>

namespace tg {

namespace {
/// The multiplier per element: 0 with probability p, else 1 / (1 - p).
template <class T>
xt::xarray<T> dropout_mask(const Shape& shape, double p, Generator& generator) {
  xt::xarray<T> mask = xt::xarray<T>::from_shape(shape);
  const T keep = p < 1 ? static_cast<T>(1 / (1 - p)) : T(0);
  for (T& m : mask) m = generator.uniform() < p ? T(0) : keep;
  return mask;
}
}  // namespace

// y = x * m, m_i = 0 with probability p else 1/(1-p);  dx = dy * m
// p == 1 zeroes everything (as PyTorch); p outside [0, 1] is rejected.
Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  detail::check_defined("dropout", x);
  if (!(p >= 0 && p <= 1)) fail<ValueError>("dropout: probability p = {} is outside [0, 1]", p);
  if (!training || p == 0) return x;
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> mask;
    if (generator) {
      mask = dropout_mask<T>(x.shape(), p, *generator);
    } else {
      std::lock_guard lock(default_generator_mutex());
      mask = dropout_mask<T>(x.shape(), p, default_generator());
    }
    xt::xarray<T> y = x.data<T>() * mask;
    return record<T>("dropout", std::move(y), {x}, [mask = std::move(mask)](BackwardContext<T>& ctx) {
      ctx.accumulate(0, ctx.grad() * mask);
    }, OutputUse::NotRead);
  });
}

}  // namespace tg
