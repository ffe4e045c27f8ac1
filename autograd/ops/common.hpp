#pragma once
// Helpers shared by the op implementations (not part of the public API).
#include "autograd/error.hpp"
#include "autograd/function.hpp"
#include "autograd/ops.hpp"

namespace tg::detail {

/// Maps a possibly negative axis into [0, ndim), or throws naming the op.
inline std::size_t normalize_axis(long axis, std::size_t ndim, const char* op) {
  const long n = static_cast<long>(ndim);
  const long a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n) fail<ValueError>("{}: axis {} out of range for a tensor with {} dimensions", op, axis, ndim);
  return static_cast<std::size_t>(a);
}

/// Checks both inputs are defined and of one dtype, and that their shapes broadcast.
inline void check_binary(const char* op, const Tensor& a, const Tensor& b) {
  check_same_dtype(op, {a, b});
  broadcast_shapes(a.shape(), b.shape(), op);
}

/// `shape` with a new axis of `size` at position `axis` (<= ndim). Built by hand: svector::insert
/// trips GCC 12's -Warray-bounds.
inline Shape with_axis(const Shape& shape, std::size_t axis, std::size_t size) {
  Shape out(shape.size() + 1);
  for (std::size_t i = 0, j = 0; i < out.size(); ++i) out[i] = i == axis ? size : shape[j++];
  return out;
}

/// `shape` without axis `axis`.
inline Shape without_axis(const Shape& shape, std::size_t axis) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (i != axis) out.push_back(shape[i]);
  return out;
}

inline void check_defined(const char* op, const Tensor& x) {
  if (!x.defined()) fail<ValueError>("{}: input is an undefined tensor", op);
}

}  // namespace tg::detail
