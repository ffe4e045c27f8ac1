#pragma once
// NumPy broadcasting: the result shape of two shapes, and the sum that undoes it in backward.
#include "autograd/error.hpp"
#include "autograd/xt.hpp"

namespace tg {

/// The broadcast shape of a and b; throws ShapeError naming `op` if they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Sums `g` (of a shape that `shape` broadcasts to) back down to `shape`.
template <class T>
xt::xarray<T> sum_to(xt::xarray<T>&& g, const Shape& shape, const char* op);

extern template xt::xarray<float> sum_to(xt::xarray<float>&&, const Shape&, const char*);
extern template xt::xarray<double> sum_to(xt::xarray<double>&&, const Shape&, const char*);

}  // namespace tg
