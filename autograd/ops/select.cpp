// Elementwise selection by a boolean mask: where and masked_fill. The mask is captured by the
// backward closure (it is not a tensor on the tape).
#include "autograd/ops/common.hpp"

namespace tg {

namespace {

/// c ? a : b elementwise over `shape`, each of c, a, b broadcast to it (a, b: arrays or scalars).
/// A plain loop rather than xt::where: xtensor 0.24 with xsimd 8 mixes up the lanes of a broadcast
/// bool mask on SSE2 (the baseline instruction set the library is built for), so xt::where gives
/// wrong elements there (Select.MaskedFillValues shows it).
template <class T, class A, class B>
xt::xarray<T> choose(const Mask& c, const A& a, const B& b, const Shape& shape) {
  const Mask mask = xt::broadcast(c, shape);
  const xt::xarray<T> when_true = xt::broadcast(a, shape), when_false = xt::broadcast(b, shape);
  xt::xarray<T> y = xt::xarray<T>::from_shape(shape);
  for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = mask.data()[i] ? when_true.data()[i] : when_false.data()[i];
  return y;
}

}  // namespace

// y = c ? a : b;  da = c ? dy : 0, db = c ? 0 : dy   (each summed back over its broadcast axes)
Tensor where(const Mask& condition, const Tensor& a, const Tensor& b) {
  detail::check_binary("where", a, b);
  const Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), "where"),
                                       Shape(condition.shape().begin(), condition.shape().end()), "where");
  return visit_dtype(a.dtype(), [&]<class T>() {
    xt::xarray<T> y = choose<T>(condition, a.data<T>(), b.data<T>(), shape);
    return record<T>("where", std::move(y), {a, b}, [condition, shape](BackwardContext<T>& ctx) {
      if (ctx.needs_grad(0)) ctx.accumulate(0, choose<T>(condition, ctx.grad(), T(0), shape));
      if (ctx.needs_grad(1)) ctx.accumulate(1, choose<T>(condition, T(0), ctx.grad(), shape));
    }, OutputUse::NotRead);
  });
}

// y = mask ? value : x;  dx = mask ? 0 : dy
Tensor masked_fill(const Tensor& x, const Mask& mask, double value) {
  detail::check_defined("masked_fill", x);
  const Shape mask_shape(mask.shape().begin(), mask.shape().end());
  if (broadcast_shapes(x.shape(), mask_shape, "masked_fill") != x.shape())
    fail<ShapeError>("masked_fill: mask of shape {} does not broadcast to the input's shape {}",
                     shape_str(mask_shape), shape_str(x.shape()));
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = choose<T>(mask, static_cast<T>(value), x.data<T>(), x.shape());
    return record<T>("masked_fill", std::move(y), {x}, [mask, shape = x.shape()](BackwardContext<T>& ctx) {
      ctx.accumulate(0, choose<T>(mask, T(0), ctx.grad(), shape));
    }, OutputUse::NotRead);
  });
}

}  // namespace tg
