#include "autograd/broadcast.hpp"

namespace tg {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      fail<ShapeError>("{}: shapes {} and {} do not broadcast (dim {}: {} vs {})", op, shape_str(a),
                       shape_str(b), i, da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

template <class T>
xt::xarray<T> sum_to(xt::xarray<T>&& g, const Shape& shape, const char* op) {
  const std::size_t lead = g.dimension() - std::min(g.dimension(), shape.size());
  if (g.dimension() < shape.size())
    fail<ShapeError>("{} backward: gradient of shape {} cannot be reduced to {}", op, shape_str(g.shape()),
                     shape_str(shape));
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < g.dimension(); ++i) {
    if (i < lead) {
      axes.push_back(i);
    } else if (shape[i - lead] == 1 && g.shape()[i] != 1) {
      axes.push_back(i);
    } else if (shape[i - lead] != g.shape()[i]) {
      fail<ShapeError>("{} backward: gradient of shape {} cannot be reduced to {}", op, shape_str(g.shape()),
                       shape_str(shape));
    }
  }
  if (axes.empty()) return std::move(g);
  xt::xarray<T> reduced = xt::sum(g, axes);
  reduced.reshape(shape);
  return reduced;
}

template xt::xarray<float> sum_to(xt::xarray<float>&&, const Shape&, const char*);
template xt::xarray<double> sum_to(xt::xarray<double>&&, const Shape&, const char*);

}  // namespace tg
