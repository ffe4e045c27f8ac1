#include "autograd/tensor.hpp"

#include "autograd/graph.hpp"
#include "autograd/memory.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"

#include <cmath>
#include <ostream>

namespace tg {
namespace {
// Tensors own the big buffers, so the allocator settings of autograd/memory.hpp are applied when this
// file is loaded; a static link that uses Tensor cannot leave them out.
[[maybe_unused]] const bool malloc_settings_applied = detail::tune_malloc();
}  // namespace

TensorImpl& Tensor::impl() const {
  if (!impl_) fail<ValueError>("use of an undefined Tensor (default-constructed, or an unused grad() result)");
  return *impl_;
}

Dtype Tensor::dtype() const {
  return std::holds_alternative<xt::xarray<float>>(impl().value) ? Dtype::Float32 : Dtype::Float64;
}

const Shape& Tensor::shape() const {
  return visit_dtype(dtype(), [&]<class T>() -> const Shape& { return data<T>().shape(); });
}

std::size_t Tensor::size(long axis) const {
  const long n = static_cast<long>(dim());
  const long a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n) fail<ValueError>("Tensor::size: axis {} out of range for shape {}", axis, shape_str(shape()));
  return shape()[static_cast<std::size_t>(a)];
}

std::size_t Tensor::numel() const {
  return visit_dtype(dtype(), [&]<class T>() { return data<T>().size(); });
}

double Tensor::item() const {
  if (numel() != 1) fail<ShapeError>("item: tensor of shape {} has {} elements, not one", shape_str(shape()), numel());
  return visit_dtype(dtype(), [&]<class T>() { return static_cast<double>(*data<T>().begin()); });
}

Tensor& Tensor::requires_grad_(bool on) {
  if (!is_leaf() && !on)
    fail<GraphError>("requires_grad_(false) on a non-leaf tensor; use detach() instead");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }

void Tensor::zero_grad() const { impl().grad.reset(); }

void Tensor::backward(bool retain_graph) const {
  tg::backward(std::span<const Tensor>(this, 1), {}, retain_graph);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  tg::backward(std::span<const Tensor>(this, 1), std::span<const Tensor>(&grad_output, 1), retain_graph);
}

Tensor Tensor::detach() const { return clone_leaf(false); }

Tensor Tensor::clone_leaf(bool requires_grad) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->value = this->impl().value;
  impl->requires_grad = requires_grad;
  return Tensor(std::move(impl));
}

Tensor Tensor::to(Dtype target) const { return cast(*this, target); }

namespace {

template <class T>
void print_array(fmt::memory_buffer& out, const xt::xarray<T>& a, std::size_t axis, std::size_t offset,
                 std::size_t indent) {
  const auto& shape = a.shape();
  if (shape.empty()) {
    fmt::format_to(std::back_inserter(out), "{:.4f}", a.data()[0]);
    return;
  }
  const std::size_t n = shape[axis];
  const std::size_t stride = a.strides()[axis];
  constexpr std::size_t edge = 3;  // elements shown at each end of a long axis
  out.push_back('[');
  for (std::size_t i = 0; i < n; ++i) {
    if (n > 2 * edge + 1 && i == edge) {
      fmt::format_to(std::back_inserter(out), "...");
      i = n - edge - 1;
      out.push_back(',');
      if (axis + 1 < shape.size()) fmt::format_to(std::back_inserter(out), "\n{:{}}", "", indent + 1);
      else out.push_back(' ');
      continue;
    }
    if (axis + 1 == shape.size()) fmt::format_to(std::back_inserter(out), "{:.4f}", a.data()[offset + i * stride]);
    else print_array(out, a, axis + 1, offset + i * stride, indent + 1);
    if (i + 1 < n) {
      out.push_back(',');
      if (axis + 1 < shape.size()) fmt::format_to(std::back_inserter(out), "\n{:{}}", "", indent + 1);
      else out.push_back(' ');
    }
  }
  out.push_back(']');
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "tensor(");
  visit_dtype(dtype(), [&]<class T>() { print_array(out, data<T>(), 0, 0, 7); });
  fmt::format_to(std::back_inserter(out), ", dtype={}", dtype_name(dtype()));
  if (grad_fn()) fmt::format_to(std::back_inserter(out), ", grad_fn={}", grad_fn()->name);
  else if (requires_grad()) fmt::format_to(std::back_inserter(out), ", requires_grad=true");
  out.push_back(')');
  return fmt::to_string(out);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

// ---- creation ------------------------------------------------------------------------------

Tensor full(const Shape& shape, double value, TensorOptions options) {
  return visit_dtype(options.dtype_, [&]<class T>() {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    a.fill(static_cast<T>(value));
    return Tensor(std::move(a), options.requires_grad_);
  });
}

Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1, options); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }

namespace {
template <class Draw>
Tensor random_tensor(const Shape& shape, TensorOptions options, Generator* generator, Draw draw) {
  std::unique_lock<std::mutex> lock;
  if (!generator) {
    lock = std::unique_lock(default_generator_mutex());
    generator = &default_generator();
  }
  return visit_dtype(options.dtype_, [&]<class T>() {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (T& v : a) v = static_cast<T>(draw(*generator));
    return Tensor(std::move(a), options.requires_grad_);
  });
}
}  // namespace

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  return random_tensor(shape, options, generator, [](Generator& g) { return g.normal(); });
}

Tensor rand(const Shape& shape, TensorOptions options, double low, double high, Generator* generator) {
  if (!(low < high)) fail<ValueError>("rand: low ({}) must be below high ({})", low, high);
  return random_tensor(shape, options, generator, [&](Generator& g) { return low + (high - low) * g.uniform(); });
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(end))
    fail<ValueError>("arange: start {}, end {}, step {} do not make a finite range", start, end, step);
  const double count = std::ceil((end - start) / step);
  const std::size_t n = count > 0 ? static_cast<std::size_t>(count) : 0;
  return visit_dtype(options.dtype_, [&]<class T>() {
    xt::xarray<T> a = xt::xarray<T>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) a(i) = static_cast<T>(start + static_cast<double>(i) * step);
    return Tensor(std::move(a), options.requires_grad_);
  });
}

namespace {
template <class List>
Tensor from_nested(List values, TensorOptions options) {
  xt::xarray<double> a(values);
  return visit_dtype(options.dtype_, [&]<class T>() {
    return Tensor(xt::xarray<T>(xt::cast<T>(a)), options.requires_grad_);
  });
}
}  // namespace

Tensor tensor(xt::nested_initializer_list_t<double, 0> v, TensorOptions o) {
  return visit_dtype(o.dtype_, [&]<class T>() { return Tensor(xt::xarray<T>(static_cast<T>(v)), o.requires_grad_); });
}
Tensor tensor(xt::nested_initializer_list_t<double, 1> v, TensorOptions o) { return from_nested(v, o); }
Tensor tensor(xt::nested_initializer_list_t<double, 2> v, TensorOptions o) { return from_nested(v, o); }
Tensor tensor(xt::nested_initializer_list_t<double, 3> v, TensorOptions o) { return from_nested(v, o); }
Tensor tensor(xt::nested_initializer_list_t<double, 4> v, TensorOptions o) { return from_nested(v, o); }

}  // namespace tg
