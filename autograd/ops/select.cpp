// Elementwise selection by a boolean mask: where and masked_fill. The mask is captured by the
// backward closure (it is not a tensor on the tape).
#include "autograd/ops/common.hpp"

namespace tg {

// y = c ? a : b;  da = c ? dy : 0, db = c ? 0 : dy   (each summed back over its broadcast axes)
Tensor where(const Mask& condition, const Tensor& a, const Tensor& b) {
  detail::check_binary("where", a, b);
  broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), "where"), Shape(condition.shape().begin(),
                   condition.shape().end()), "where");
  return visit_dtype(a.dtype(), [&]<class T>() {
    xt::xarray<T> y = xt::where(condition, a.data<T>(), b.data<T>());
    return record<T>("where", std::move(y), {a, b}, [condition](BackwardContext<T>& ctx) {
      if (ctx.needs_grad(0)) ctx.accumulate(0, xt::where(condition, ctx.grad(), T(0)));
      if (ctx.needs_grad(1)) ctx.accumulate(1, xt::where(condition, T(0), ctx.grad()));
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
    xt::xarray<T> y = xt::where(mask, static_cast<T>(value), x.data<T>());
    return record<T>("masked_fill", std::move(y), {x}, [mask](BackwardContext<T>& ctx) {
      ctx.accumulate(0, xt::where(mask, T(0), ctx.grad()));
    }, OutputUse::NotRead);
  });
}

}  // namespace tg
