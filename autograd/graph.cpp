#include "autograd/function.hpp"
#include "autograd/graph.hpp"

#include <atomic>
#include <cmath>
#include <queue>
#include <utility>
#include <unordered_map>
#include <unordered_set>

namespace tg {

namespace {
thread_local bool grad_mode_enabled = true;
thread_local bool anomaly_mode_enabled = false;
thread_local std::string scope_path;
thread_local LeafGradReadyHook leaf_grad_ready_hook;
std::atomic<std::uint64_t> tape_position{0};
std::atomic<std::uint64_t> run_counter{0};

/// A node waiting for its backward, and its output when the backward reads it (else the output may
/// be freed before the node runs, as soon as its consumers' backwards are done).
struct Queued {
  std::uint64_t position;
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> output;
  bool operator<(const Queued& other) const { return position < other.position; }
};

template <class T>
bool all_finite(const xt::xarray<T>& a) {
  for (T v : a)
    if (!std::isfinite(v)) return false;
  return true;
}

bool value_is_finite(const Value& value) {
  if (auto* f = std::get_if<xt::xarray<float>>(&value)) return all_finite(*f);
  if (auto* d = std::get_if<xt::xarray<double>>(&value)) return all_finite(*d);
  return true;
}

std::string value_shape(const Value& value) {
  return std::visit([](const auto& v) -> std::string {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) return "[]";
    else return shape_str(v.shape());
  }, value);
}

std::string recorded_at(const Node* node) {
  return node && !node->where.empty() ? fmt::format(" (recorded in module '{}')", node->where) : "";
}
}  // namespace

Node::~Node() {
  // Dropping the last handle to a 100,000-op chain would recurse through every node's inputs.
  // Instead the inputs are parked here and released one at a time by the outermost destructor.
  thread_local std::vector<std::shared_ptr<TensorImpl>> parked;
  thread_local bool draining = false;
  for (auto& input : inputs)
    if (input) parked.push_back(std::move(input));
  backward = nullptr;
  if (draining) return;
  draining = true;
  while (!parked.empty()) {
    std::shared_ptr<TensorImpl> input = std::move(parked.back());
    parked.pop_back();
  }
  draining = false;
}

std::uint64_t next_tape_position() { return tape_position.fetch_add(1, std::memory_order_relaxed) + 1; }

bool GradMode::enabled() { return grad_mode_enabled; }
void GradMode::set_enabled(bool enabled) { grad_mode_enabled = enabled; }
bool AnomalyMode::enabled() { return anomaly_mode_enabled; }
void AnomalyMode::set_enabled(bool enabled) { anomaly_mode_enabled = enabled; }

RecordScope::RecordScope(std::string_view name) : previous_length_(scope_path.size()) {
  if (!scope_path.empty()) scope_path += '.';
  scope_path += name;
}
RecordScope::~RecordScope() { scope_path.resize(previous_length_); }
const std::string& current_scope() { return scope_path; }

namespace detail {

bool should_record(std::span<const Tensor> inputs) {
  if (!grad_mode_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void check_same_dtype(const char* op, std::span<const Tensor> inputs) {
  const Tensor* first = nullptr;
  std::size_t index = 0;
  for (const Tensor& t : inputs) {
    if (!t.defined()) fail<ValueError>("{}: input {} is an undefined tensor", op, index);
    if (!first) first = &t;
    else if (t.dtype() != first->dtype())
      fail<DtypeError>("{}: input {} is {} but input 0 is {}; convert one with .to()", op, index,
                       dtype_name(t.dtype()), dtype_name(first->dtype()));
    ++index;
  }
}

void fail_input_dtype(const Node& node, std::size_t input, Dtype op_dtype) {
  fail<DtypeError>("backward of '{}' works in {} but its input {} is {}; record the op in its inputs' dtype, or "
                   "convert the input with .to() first",
                   node.name, dtype_name(op_dtype), input, dtype_name(Tensor(node.inputs[input]).dtype()));
}

void fail_absent_input(const Node& node, std::size_t input) {
  fail<GraphError>("backward of '{}' reads its input {}, which was not given (an undefined optional operand)",
                   node.name, input);
}

std::shared_ptr<Node> make_node(const char* name, std::span<const Tensor> inputs) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->position = next_tape_position();
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) node->inputs.push_back(t.impl_ptr());
  if (!scope_path.empty()) node->where = scope_path;
  return node;
}

void check_anomaly(const Node* node, const char* op, const Value& value, const char* phase) {
  if (!anomaly_mode_enabled || value_is_finite(value)) return;
  fail<ValueError>("anomaly detected: {} of '{}' produced NaN or Inf in a value of shape {}{}", phase, op,
                   value_shape(value), recorded_at(node));
}

}  // namespace detail

namespace {

Tensor seed_for(const Tensor& root, const Tensor* grad_output) {
  if (!grad_output || !grad_output->defined()) {
    if (root.numel() != 1)
      fail<GraphError>("backward: an implicit gradient needs a scalar output, but the output has shape {}; "
                       "pass the output's gradient explicitly",
                       shape_str(root.shape()));
    return ones(root.shape(), root.dtype());
  }
  if (grad_output->dtype() != root.dtype())
    fail<DtypeError>("backward: gradient is {} but the output is {}", dtype_name(grad_output->dtype()),
                     dtype_name(root.dtype()));
  if (grad_output->shape() != root.shape())
    fail<ShapeError>("backward: gradient has shape {} but the output has shape {}",
                     shape_str(grad_output->shape()), shape_str(root.shape()));
  return *grad_output;
}

void add_into(Value& slot, const Value& g) {
  std::visit([&](const auto& array) {
    using A = std::decay_t<decltype(array)>;
    if constexpr (!std::is_same_v<A, std::monostate>) {
      if (auto* existing = std::get_if<A>(&slot)) *existing += array;
      else slot = array;
    }
  }, g);
}

/// For a LeafGradReadyHook: how many edges from the nodes of this pass still lead into each leaf.
/// A leaf's gradient is final once every node reading it has run.
class LeafReadiness {
 public:
  LeafReadiness(std::span<const Tensor> roots, const LeafGradReadyHook& hook) : hook_(hook) {
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (const Tensor& root : roots) {
      if (root.grad_fn()) stack.push_back(root.grad_fn().get());
      else if (root.requires_grad()) ++count(root.impl());  // a leaf root: an edge only the end releases
    }
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      if (!seen.insert(node).second) continue;
      for (const auto& input : node->inputs) {
        if (!input || !input->requires_grad) continue;  // absent optional operands too
        if (input->grad_fn) stack.push_back(input->grad_fn.get());
        else ++count(*input);
      }
    }
  }
  /// `node` has run (or was skipped): its leaf inputs may now be final.
  void ran(const Node& node) {
    for (const auto& input : node.inputs)
      if (input && input->requires_grad && !input->grad_fn) {
        auto it = pending_.find(input.get());
        if (it != pending_.end() && --it->second == 0) hook_(*input);
      }
  }
  /// The pass is over: every leaf not yet announced is final too, in the order they were found.
  void finish() {
    for (const TensorImpl* leaf : order_)
      if (pending_.at(leaf) > 0) hook_(*leaf);
  }

 private:
  std::size_t& count(const TensorImpl& leaf) {
    auto [it, added] = pending_.try_emplace(&leaf, 0);
    if (added) order_.push_back(&leaf);
    return it->second;
  }

  const LeafGradReadyHook& hook_;
  std::unordered_map<const TensorImpl*, std::size_t> pending_;
  std::vector<const TensorImpl*> order_;
};

/// Runs one backward pass. `captured` (for grad()) lists the tensors whose gradients are wanted.
void run_backward(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs, bool retain_graph,
                  std::vector<std::pair<const TensorImpl*, Value>>* captured) {
  if (!grad_outputs.empty() && grad_outputs.size() != roots.size())
    fail<ValueError>("backward: {} outputs but {} gradients", roots.size(), grad_outputs.size());
  BackwardRun run;
  run.id = run_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  run.captured = captured;
  run.retain_graph = retain_graph;
  std::priority_queue<Queued> queue;
  std::optional<LeafReadiness> readiness;
  if (leaf_grad_ready_hook && !captured) readiness.emplace(roots, leaf_grad_ready_hook);

  for (std::size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    if (!root.defined()) fail<GraphError>("backward: output {} is an undefined tensor", i);
    if (!root.requires_grad())
      fail<GraphError>("backward: output {} does not require grad (built from constants, or under NoGradGuard)",
                       i);
    Tensor seed = seed_for(root, grad_outputs.empty() ? nullptr : &grad_outputs[i]);
    const std::shared_ptr<Node>& node = root.grad_fn();
    if (node && node->released)
      fail<GraphError>("backward: the graph of '{}' was freed by an earlier backward; pass retain_graph=true "
                       "to the first backward to go through it twice",
                       node->name);
    if (!node) {  // a leaf root: its gradient is the seed itself
      std::visit([&](auto& s) {
        using A = std::decay_t<decltype(s)>;
        if constexpr (!std::is_same_v<A, std::monostate>) run.accumulate(root.impl(), A(s));
      }, seed.impl().value);
      continue;
    }
    add_into(node->grad, seed.impl().value);
    if (node->queued_in_run != run.id) {
      node->queued_in_run = run.id;
      queue.push({node->position, node, node->reads_output ? root.impl_ptr() : nullptr});
    }
  }

  try {
    while (!queue.empty()) {
      const Queued entry = queue.top();
      queue.pop();
      Node& node = *entry.node;
      if (node.released)
        fail<GraphError>("backward: the graph through '{}' was freed by an earlier backward; pass "
                         "retain_graph=true to the first backward to go through it twice",
                         node.name);
      if (captured)
        for (auto& [impl, value] : *captured)
          if (impl == node.output) add_into(value, node.grad);
      if (!std::holds_alternative<std::monostate>(node.grad)) {
        node.backward(node, run);
        if (anomaly_mode_enabled)
          for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            if (!node.inputs[i]) continue;
            const TensorImpl& in = *node.inputs[i];
            const Value* g = in.grad_fn ? &in.grad_fn->grad : (in.grad ? &in.grad->value : nullptr);
            if (g && !value_is_finite(*g))
              fail<ValueError>("anomaly detected: backward of '{}' produced NaN or Inf in the gradient of its "
                               "input {} (shape {}){}",
                               node.name, i, value_shape(in.value), recorded_at(&node));
          }
        for (const auto& input : node.inputs) {
          if (!input) continue;  // an absent optional operand
          Node* next = input->grad_fn.get();
          if (next && input->requires_grad && next->queued_in_run != run.id) {
            next->queued_in_run = run.id;
            queue.push({next->position, input->grad_fn, next->reads_output ? input : nullptr});
          }
        }
      }
      node.grad = std::monostate{};
      if (readiness) readiness->ran(node);
      if (!retain_graph) {
        node.backward = nullptr;
        node.inputs.clear();
        node.released = true;
      }
    }
  } catch (...) {
    while (!queue.empty()) {  // leave no half-accumulated gradients behind
      queue.top().node->grad = std::monostate{};
      queue.pop();
    }
    throw;
  }
  if (readiness) readiness->finish();
}

}  // namespace

LeafGradReadyGuard::LeafGradReadyGuard(LeafGradReadyHook hook)
    : previous_(std::exchange(leaf_grad_ready_hook, std::move(hook))) {}
LeafGradReadyGuard::~LeafGradReadyGuard() { leaf_grad_ready_hook = std::move(previous_); }

void backward(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs, bool retain_graph) {
  run_backward(roots, grad_outputs, retain_graph, nullptr);
}

std::vector<Tensor> grad(std::span<const Tensor> outputs, std::span<const Tensor> inputs,
                         std::span<const Tensor> grad_outputs, GradOptions options) {
  std::vector<std::pair<const TensorImpl*, Value>> captured;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      fail<GraphError>("grad: input {} does not require grad", i);
    captured.emplace_back(&inputs[i].impl(), std::monostate{});
  }
  run_backward(outputs, grad_outputs, options.retain_graph, &captured);
  std::vector<Tensor> result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Value& g = captured[i].second;
    if (std::holds_alternative<std::monostate>(g)) {
      if (!options.allow_unused)
        fail<GraphError>("grad: input {} (shape {}) is not used by the outputs; pass allow_unused=true to get "
                         "an undefined tensor for it",
                         i, shape_str(inputs[i].shape()));
      result.emplace_back();
      continue;
    }
    auto impl = std::make_shared<TensorImpl>();
    impl->value = std::move(g);
    result.emplace_back(std::move(impl));
  }
  return result;
}

}  // namespace tg
