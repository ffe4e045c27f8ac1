#pragma once
// Defining a differentiable op: compute the value, then record() it with its backward closure.
//
//     // y = tanh(x);  dx = dy * (1 - y^2)
//     template <class T>
//     Tensor my_tanh(const Tensor& x) {
//       xt::xarray<T> y = xt::tanh(x.data<T>());
//       return record<T>("my_tanh", std::move(y), {x}, [](BackwardContext<T>& ctx) {
//         ctx.accumulate(0, ctx.grad() * (1 - ctx.output() * ctx.output()));
//       });
//     }
//
// The closure reads the inputs' values through the context, so it captures only what it needs
// beyond them (axes, masks, indices). Backward always accumulates; the context undoes broadcasting.
#include "autograd/broadcast.hpp"
#include "autograd/graph.hpp"

#include <initializer_list>
#include <span>

namespace tg {

namespace detail {
[[noreturn]] void fail_input_dtype(const Node& node, std::size_t input, Dtype op_dtype);
[[noreturn]] void fail_absent_input(const Node& node, std::size_t input);
}  // namespace detail

/// What a backward closure sees: the output's value and gradient, the inputs, and where to add.
template <class T>
class BackwardContext {
 public:
  BackwardContext(Node& node, BackwardRun& run, const xt::xarray<T>& grad, const TensorImpl* output)
      : node_(node), run_(run), grad_(grad), output_(output) {}

  /// d loss / d output.
  const xt::xarray<T>& grad() const { return grad_; }
  /// The op's forward value; only for ops recorded with OutputUse::ReadInBackward (the default).
  const xt::xarray<T>& output() const {
    if (!node_.reads_output)
      fail<GraphError>("backward of '{}' reads its output, but the op was recorded with OutputUse::NotRead, so the "
                       "output may be gone; record it with OutputUse::ReadInBackward",
                       node_.name);
    return std::get<xt::xarray<T>>(output_->value);
  }
  /// The forward value of input i. Every read and accumulation of an input goes through here, so an
  /// op recorded in one dtype over an input of another gets a DtypeError naming both.
  const xt::xarray<T>& input(std::size_t i) const {
    if (!has_input(i)) detail::fail_absent_input(node_, i);
    if (const auto* value = std::get_if<xt::xarray<T>>(&node_.inputs[i]->value)) return *value;
    detail::fail_input_dtype(node_, i, dtype_of<T>);
  }
  /// Whether optional input i (a bias, say) was given: record() takes undefined tensors as absent.
  bool has_input(std::size_t i) const { return node_.inputs[i] != nullptr; }
  const Shape& input_shape(std::size_t i) const { return input(i).shape(); }
  /// Whether input i wants a gradient; skip the work for it otherwise.
  bool needs_grad(std::size_t i) const { return has_input(i) && node_.inputs[i]->requires_grad; }

  /// Adds `g` (an array or a lazy xtensor expression) to input i's gradient. When g has the
  /// broadcast shape of a broadcasting op, it is summed back to the input's shape first.
  template <class E>
  void accumulate(std::size_t i, E&& g) const {
    if (!needs_grad(i)) return;
    TensorImpl& in = *node_.inputs[i];
    const Shape& want = input_shape(i);
    if (same_shape(g.shape(), want)) {
      if constexpr (std::is_same_v<std::decay_t<E>, xt::xarray<T>> && !std::is_lvalue_reference_v<E>)
        run_.accumulate<T>(in, std::move(g));
      else
        run_.accumulate_expression<T>(in, g);
    } else {
      run_.accumulate<T>(in, sum_to<T>(xt::xarray<T>(g), want, node_.name));
    }
  }

  /// Calls `f(buffer, fresh)` with input i's gradient buffer, so an op can add into it in place;
  /// `fresh` means the buffer is new and uninitialized (write, don't add). Skipped if not needed.
  template <class F>
  void accumulate_into(std::size_t i, F&& f) const {
    if (!needs_grad(i)) return;
    auto [buffer, fresh] = run_.buffer<T>(*node_.inputs[i], input_shape(i));
    if (buffer) f(*buffer, fresh);
  }

  /// Input i's value, to be turned into its gradient in place, when nothing can read it any more:
  /// this node holds the only reference, the graph is not retained for another backward, and the
  /// op that made it does not read its output in backward. Else (or when input i needs no
  /// gradient) null. The caller must pass it on with accumulate(i, std::move(*value)).
  xt::xarray<T>* reusable_input(std::size_t i) const {
    const std::shared_ptr<TensorImpl>& in = node_.inputs[i];
    if (!in || run_.retain_graph || !in->requires_grad || in.use_count() != 1 || !in->grad_fn || in->grad_fn->reads_output)
      return nullptr;
    return std::get_if<xt::xarray<T>>(&in->value);
  }

  Node& node() const { return node_; }
  BackwardRun& run() const { return run_; }
  TensorImpl& input_impl(std::size_t i) const { return *node_.inputs[i]; }

 private:
  template <class S>
  static bool same_shape(const S& a, const Shape& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

  Node& node_;
  BackwardRun& run_;
  const xt::xarray<T>& grad_;
  const TensorImpl* output_;
};

namespace detail {
bool should_record(std::span<const Tensor> inputs);
void check_same_dtype(const char* op, std::span<const Tensor> inputs);
std::shared_ptr<Node> make_node(const char* name, std::span<const Tensor> inputs);
inline std::span<const Tensor> as_span(std::initializer_list<Tensor> inputs) { return {inputs.begin(), inputs.size()}; }
inline bool should_record(std::initializer_list<Tensor> inputs) { return should_record(as_span(inputs)); }
inline void check_same_dtype(const char* op, std::initializer_list<Tensor> inputs) {
  check_same_dtype(op, as_span(inputs));
}
void check_anomaly(const Node* node, const char* op, const Value& value, const char* phase);
}  // namespace detail

/// Whether an op's backward reads its own output (ctx.output()). An output nobody reads in backward
/// is freed as soon as nothing else holds it: a temporary such as the logits fed straight into a
/// loss goes when the loss's backward is done with it, instead of living on through the backward of
/// the product that made it. Reading the output of an op recorded with NotRead is a GraphError.
enum class OutputUse { ReadInBackward, NotRead };

/// Wraps `value` in a tensor and, when any input requires grad and grad mode is on, records a node
/// with `backward` (callable as `backward(BackwardContext<T>&)`). An undefined tensor among the
/// inputs is an absent optional operand (a bias=false layer's bias): it keeps its slot, so input i
/// is the same operand whether or not the others were given, and ctx.has_input(i) says which.
template <class T, class Backward>
Tensor record(const char* name, xt::xarray<T>&& value, std::span<const Tensor> inputs, Backward&& backward,
              OutputUse use = OutputUse::ReadInBackward) {
  auto impl = std::make_shared<TensorImpl>();
  impl->value = std::move(value);
  if (detail::should_record(inputs)) {
    std::shared_ptr<Node> node = detail::make_node(name, inputs);
    node->output = impl.get();
    node->reads_output = use == OutputUse::ReadInBackward;
    node->backward = [fn = std::forward<Backward>(backward)](Node& n, BackwardRun& run) mutable {
      BackwardContext<T> ctx(n, run, std::get<xt::xarray<T>>(n.grad), n.output);
      fn(ctx);
    };
    impl->grad_fn = std::move(node);
    impl->requires_grad = true;
  }
  detail::check_anomaly(impl->grad_fn.get(), name, impl->value, "forward");
  return Tensor(std::move(impl));
}

template <class T, class Backward>
Tensor record(const char* name, xt::xarray<T>&& value, std::initializer_list<Tensor> inputs, Backward&& backward,
              OutputUse use = OutputUse::ReadInBackward) {
  return record<T>(name, std::move(value), detail::as_span(inputs), std::forward<Backward>(backward), use);
}

/// The same for ops with a run-time number of inputs (concat, stack).
template <class T, class Backward>
Tensor record(const char* name, xt::xarray<T>&& value, const std::vector<Tensor>& inputs, Backward&& backward,
              OutputUse use = OutputUse::ReadInBackward) {
  return record<T>(name, std::move(value), std::span<const Tensor>(inputs), std::forward<Backward>(backward), use);
}

}  // namespace tg
