#pragma once
// The tensor handle: a value, its gradient, and the node of the op that made it.
#include "autograd/dtype.hpp"
#include "autograd/error.hpp"
#include "autograd/xt.hpp"

#include <iosfwd>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace tg {

struct Node;
class Generator;

/// A float32 or float64 xtensor array; `std::monostate` while empty (e.g. no gradient yet).
using Value = std::variant<std::monostate, xt::xarray<float>, xt::xarray<double>>;

/// What a Tensor handle points at. Shared by every copy of the handle.
struct TensorImpl {
  Value value;
  std::shared_ptr<TensorImpl> grad;  // leaves only: the accumulated gradient
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor; null for leaves
  bool requires_grad = false;
  std::string name;                  // optional, used in error messages and printouts
};

/// Options for creating tensors, as LibTorch's: `TensorOptions().dtype(kFloat64).requires_grad(true)`.
/// A bare Dtype converts to options: `zeros({2, 3}, kFloat64)`.
struct TensorOptions {
  Dtype dtype_ = Dtype::Float32;
  bool requires_grad_ = false;

  TensorOptions() = default;
  TensorOptions(Dtype d) : dtype_(d) {}  // NOLINT: implicit on purpose
  TensorOptions& dtype(Dtype d) { dtype_ = d; return *this; }
  TensorOptions& requires_grad(bool r = true) { requires_grad_ = r; return *this; }
};

/// A handle to a value in the autograd graph. Copies share the value, the gradient and the graph,
/// as `torch.Tensor` does.
///
///     tg::Tensor w = tg::randn({3, 4}, tg::TensorOptions().requires_grad());
///     tg::Tensor loss = tg::sum(tg::tanh(w) * 2);
///     loss.backward();           // w.grad() now holds d loss / d w
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  /// Wraps an array (taken by value: pass an rvalue to avoid the copy).
  template <class T>
  explicit Tensor(xt::xarray<T> value, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  Dtype dtype() const;
  const Shape& shape() const;
  std::size_t dim() const { return shape().size(); }
  /// Size along `axis`; negative axes count from the end.
  std::size_t size(long axis) const;
  std::size_t numel() const;

  /// The underlying array, typed; throws DtypeError if T is not this tensor's element type.
  /// Writing to it bypasses autograd (as `.data` in PyTorch).
  template <class T>
  xt::xarray<T>& data() const&;
  /// On a temporary tensor (`tg::sum(x).data<float>()`) the array is returned by value, so that
  /// `const auto& a = f(x).data<float>();` cannot dangle. To write in place, name the tensor.
  template <class T>
  xt::xarray<T> data() const&& {
    return static_cast<const Tensor&>(*this).data<T>();
  }
  /// The single value of a one-element tensor.
  double item() const;

  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as needing its gradient (`requires_grad_()` in PyTorch).
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  /// The gradient accumulated by backward(); undefined until the first backward reaches this leaf.
  Tensor grad() const;
  /// Drops the gradient (PyTorch's `set_to_none=True`).
  void zero_grad() const;
  /// The node of the op that produced this tensor, or null for a leaf.
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }

  /// Backpropagates from a scalar (d self / d self = 1).
  void backward(bool retain_graph = false) const;
  /// Backpropagates from a non-scalar with an explicit gradient of the same shape.
  void backward(const Tensor& grad_output, bool retain_graph = false) const;

  /// A new leaf sharing nothing with the graph: same value (copied), no history.
  Tensor detach() const;
  /// A copy in another dtype; differentiable.
  Tensor to(Dtype dtype) const;
  /// A deep copy of the value as a new leaf (requires_grad as given).
  Tensor clone_leaf(bool requires_grad = false) const;

  /// PyTorch-style printout: `tensor([[1.0000, 2.0000]], dtype=float32, requires_grad=true)`.
  std::string str() const;

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- creation ------------------------------------------------------------------------------

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
/// Standard normal samples from `generator` (the global one, seeded by manual_seed, when null).
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
/// Uniform samples in [low, high).
Tensor rand(const Shape& shape, TensorOptions options = {}, double low = 0, double high = 1,
            Generator* generator = nullptr);
/// start, start + step, ... below end.
Tensor arange(double start, double end, double step = 1, TensorOptions options = {});
inline Tensor arange(double end, TensorOptions options = {}) { return arange(0, end, 1, options); }

/// From an xtensor array of float or double; the dtype follows the array.
template <class T>
Tensor from_array(xt::xarray<T> array, bool requires_grad = false) {
  return Tensor(std::move(array), requires_grad);
}
/// From nested braces: `tensor({{1, 2}, {3, 4}})`, float32 unless options say otherwise.
Tensor tensor(xt::nested_initializer_list_t<double, 0> values, TensorOptions options = {});
Tensor tensor(xt::nested_initializer_list_t<double, 1> values, TensorOptions options = {});
Tensor tensor(xt::nested_initializer_list_t<double, 2> values, TensorOptions options = {});
Tensor tensor(xt::nested_initializer_list_t<double, 3> values, TensorOptions options = {});
Tensor tensor(xt::nested_initializer_list_t<double, 4> values, TensorOptions options = {});

// ---- template definitions ------------------------------------------------------------------

template <class T>
Tensor::Tensor(xt::xarray<T> value, bool requires_grad) : impl_(std::make_shared<TensorImpl>()) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "tapegrad tensors hold float or double");
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
}

template <class T>
xt::xarray<T>& Tensor::data() const& {
  auto* array = std::get_if<xt::xarray<T>>(&impl().value);
  if (!array)
    fail<DtypeError>("Tensor::data<{}>(): tensor holds {}", dtype_name(dtype_of<T>), dtype_name(dtype()));
  return *array;
}

}  // namespace tg
