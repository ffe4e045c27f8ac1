// Shape ops: reshape and its special cases (unsqueeze, squeeze), axis permutations (permute,
// transpose) and expand. Values are always copied (a tensor owns an evaluated array, never a view).
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"

#include <numeric>

namespace tg {

namespace {

// y = x viewed with another shape of the same row-major order;  dx = dy with x's shape
Tensor reshaped(const char* name, const Tensor& x, const Shape& shape) {
  return visit_dtype(x.dtype(), [&]<class T>() {
    xt::xarray<T> y = x.data<T>();
    y.reshape(shape);
    return record<T>(name, std::move(y), {x}, [](BackwardContext<T>& ctx) {
      ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) {
        detail::write_or_add(dx.data(), ctx.grad().data(), dx.size(), !fresh);
      });
    }, OutputUse::NotRead);
  });
}

/// out[i0, ..., in] = x[i_perm^-1...]: the axes of x in the order `perm` (out axis i = x axis perm[i]).
template <class T>
xt::xarray<T> permuted(const xt::xarray<T>& x, const std::vector<std::size_t>& perm) {
  const std::size_t nd = perm.size();
  Shape out_shape(nd);
  std::vector<std::size_t> in_strides(nd), strides(nd);
  for (std::size_t i = nd, s = 1; i-- > 0; s *= x.shape()[i]) in_strides[i] = s;
  for (std::size_t i = 0; i < nd; ++i) {
    out_shape[i] = x.shape()[perm[i]];
    strides[i] = in_strides[perm[i]];
  }
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  if (out.size() == 0) return out;
  if (nd == 0) {
    out() = x();
    return out;
  }
  const std::size_t last = out_shape[nd - 1], last_stride = strides[nd - 1];
  const T* src = x.data();
  T* dst = out.data();
  std::vector<std::size_t> index(nd, 0);  // odometer over all but the last out axis
  std::size_t offset = 0;
  for (std::size_t done = 0; done < out.size(); done += last) {
    if (last_stride == 1) std::copy(src + offset, src + offset + last, dst + done);
    else
      for (std::size_t j = 0; j < last; ++j) dst[done + j] = src[offset + j * last_stride];
    for (std::size_t d = nd - 1; d-- > 0;) {
      offset += strides[d];
      if (++index[d] < out_shape[d]) break;
      offset -= strides[d] * out_shape[d];
      index[d] = 0;
    }
  }
  return out;
}

// y = x with axes reordered;  dx = dy with the inverse order
Tensor permuted(const char* name, const Tensor& x, const std::vector<std::size_t>& perm) {
  std::vector<std::size_t> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
  return visit_dtype(x.dtype(), [&]<class T>() {
    return record<T>(name, permuted(x.data<T>(), perm), {x}, [inverse](BackwardContext<T>& ctx) {
      ctx.accumulate(0, permuted(ctx.grad(), inverse));
    }, OutputUse::NotRead);
  });
}

}  // namespace

Tensor reshape(const Tensor& x, const std::vector<long>& shape) {
  detail::check_defined("reshape", x);
  Shape out(shape.size());
  std::optional<std::size_t> inferred;
  std::size_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred) fail<ShapeError>("reshape: only one dimension can be -1, got [{}]", fmt::join(shape, ", "));
      inferred = i;
    } else if (shape[i] < 0) {
      fail<ShapeError>("reshape: invalid size {} in [{}]", shape[i], fmt::join(shape, ", "));
    } else {
      out[i] = static_cast<std::size_t>(shape[i]);
      known *= out[i];
    }
  }
  const std::size_t n = x.numel();
  if (inferred) {
    if (known == 0 || n % known != 0)
      fail<ShapeError>("reshape: cannot reshape {} ({} elements) into [{}]", shape_str(x.shape()), n,
                       fmt::join(shape, ", "));
    out[*inferred] = n / known;
  } else if (known != n) {
    fail<ShapeError>("reshape: cannot reshape {} ({} elements) into [{}]", shape_str(x.shape()), n,
                     fmt::join(shape, ", "));
  }
  return reshaped("reshape", x, out);
}

Tensor unsqueeze(const Tensor& x, long axis) {
  detail::check_defined("unsqueeze", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim() + 1, "unsqueeze");
  return reshaped("unsqueeze", x, detail::with_axis(x.shape(), a, 1));
}

Tensor squeeze(const Tensor& x, long axis) {
  detail::check_defined("squeeze", x);
  const std::size_t a = detail::normalize_axis(axis, x.dim(), "squeeze");
  if (x.shape()[a] != 1)
    fail<ShapeError>("squeeze: axis {} of shape {} has size {}, not 1", axis, shape_str(x.shape()), x.shape()[a]);
  return reshaped("squeeze", x, detail::without_axis(x.shape(), a));
}

Tensor permute(const Tensor& x, const std::vector<long>& axes) {
  detail::check_defined("permute", x);
  if (axes.size() != x.dim())
    fail<ShapeError>("permute: got {} axes [{}] for a tensor of shape {}", axes.size(), fmt::join(axes, ", "),
                     shape_str(x.shape()));
  std::vector<std::size_t> perm;
  std::vector<bool> seen(x.dim(), false);
  for (long a : axes) {
    const std::size_t p = detail::normalize_axis(a, x.dim(), "permute");
    if (seen[p]) fail<ShapeError>("permute: axis {} repeated in [{}]", a, fmt::join(axes, ", "));
    seen[p] = true;
    perm.push_back(p);
  }
  return permuted("permute", x, perm);
}

Tensor transpose(const Tensor& x, long axis0, long axis1) {
  detail::check_defined("transpose", x);
  std::vector<std::size_t> perm(x.dim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[detail::normalize_axis(axis0, x.dim(), "transpose")],
            perm[detail::normalize_axis(axis1, x.dim(), "transpose")]);
  return permuted("transpose", x, perm);
}

// y = x broadcast to shape;  dx = dy summed over the broadcast axes
Tensor expand(const Tensor& x, const Shape& shape) {
  detail::check_defined("expand", x);
  const Shape& from = x.shape();
  bool ok = shape.size() >= from.size();
  for (std::size_t i = 0; ok && i < from.size(); ++i) {
    const std::size_t want = shape[shape.size() - from.size() + i];
    ok = from[i] == want || from[i] == 1;
  }
  if (!ok) fail<ShapeError>("expand: cannot expand shape {} to {}", shape_str(from), shape_str(shape));
  return visit_dtype(x.dtype(), [&]<class T>() {
    return record<T>("expand", xt::xarray<T>(xt::broadcast(x.data<T>(), shape)), {x},
                     [](BackwardContext<T>& ctx) { ctx.accumulate(0, ctx.grad()); }, OutputUse::NotRead);
  });
}

}  // namespace tg
