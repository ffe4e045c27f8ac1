#pragma once
// The tape: every op that needs a gradient records a Node, stamped with its position on the tape,
// holding its inputs and its backward closure. backward() replays the nodes reachable from the
// root in reverse tape order, iteratively (no recursion, so 100,000-op chains are fine).
#include "autograd/tensor.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace tg {

class BackwardRun;

/// One recorded op. Owned by the tensor it produced (`grad_fn`); holds its inputs, so the graph
/// lives exactly as long as something refers to its outputs.
struct Node {
  const char* name = "";                          // op name, for errors ("tanh")
  std::uint64_t position = 0;                     // tape position: inputs always come earlier
  std::vector<std::shared_ptr<TensorImpl>> inputs;
  std::function<void(Node&, BackwardRun&)> backward;
  Value grad;                                     // d loss / d output, gathered during backward
  std::uint64_t queued_in_run = 0;                // run id that queued this node
  bool released = false;                          // freed by a backward without retain_graph
  std::string where;                              // module path at record time (may be empty)
  const TensorImpl* output = nullptr;             // the op's result, for identity only: it may be gone
  bool reads_output = true;                       // backward reads the output's value (so it is kept)

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // iterative: destroying a long chain does not recurse
};

/// Next tape position (monotonic across threads).
std::uint64_t next_tape_position();

/// Whether ops record onto the tape in this thread (on by default).
struct GradMode {
  static bool enabled();
  static void set_enabled(bool enabled);
};

/// Scope in which ops record nothing, as `torch.no_grad()`:  `{ tg::NoGradGuard guard; ... }`.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly detection, as `torch.autograd.detect_anomaly`: while on (in this thread), an op whose
/// forward value or backward gradient holds NaN or Inf throws at once, naming the op, its shape and
/// the module path where it was recorded. Off by default: it costs a pass over every value.
struct AnomalyMode {
  static bool enabled();
  static void set_enabled(bool enabled);
};
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(AnomalyMode::enabled()) { AnomalyMode::set_enabled(true); }
  ~DetectAnomalyGuard() { AnomalyMode::set_enabled(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

/// Names the nodes recorded while it lives with a module path ("encoder.rnn"); nested scopes
/// join with dots. nn's modules open one per forward call.
class RecordScope {
 public:
  explicit RecordScope(std::string_view name);
  ~RecordScope();
  RecordScope(const RecordScope&) = delete;
  RecordScope& operator=(const RecordScope&) = delete;

 private:
  std::size_t previous_length_;
};
/// The module path of the innermost open RecordScope in this thread ("" outside any).
const std::string& current_scope();

/// Backpropagates from `roots` (each seeded with the matching `grad_outputs`, or with ones for a
/// scalar when that list is empty) and accumulates into the `.grad` of every leaf that requires grad.
void backward(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs = {},
              bool retain_graph = false);

/// Called by backward() (not by grad()), in the thread that runs it, once for every leaf that requires
/// grad and that the pass reaches, as soon as its `.grad` is final for the pass: right after the last
/// op reading it has run its backward (or at the end of the pass, for a leaf no gradient reached).
/// It lets a data-parallel reducer send gradients while the rest of backward runs (distributed/).
/// Without a hook, backward does no extra work.
using LeafGradReadyHook = std::function<void(const TensorImpl& leaf)>;

/// Installs `hook` for the backward passes this thread runs while the guard lives.
///
///     tg::LeafGradReadyGuard guard([&](const tg::TensorImpl& leaf) { send(leaf); });
///     loss.backward();
class LeafGradReadyGuard {
 public:
  explicit LeafGradReadyGuard(LeafGradReadyHook hook);
  ~LeafGradReadyGuard();
  LeafGradReadyGuard(const LeafGradReadyGuard&) = delete;
  LeafGradReadyGuard& operator=(const LeafGradReadyGuard&) = delete;

 private:
  LeafGradReadyHook previous_;
};

struct GradOptions {
  bool retain_graph = false;
  /// Return an undefined Tensor for an input the outputs do not depend on, instead of throwing.
  bool allow_unused = false;
};
/// d sum(outputs * grad_outputs) / d inputs, without touching any `.grad` (PyTorch's autograd.grad).
std::vector<Tensor> grad(std::span<const Tensor> outputs, std::span<const Tensor> inputs,
                         std::span<const Tensor> grad_outputs = {}, GradOptions options = {});

/// State of one backward pass, handed to backward closures through BackwardContext.
class BackwardRun {
 public:
  /// Adds `g` to the gradient of `input` (an input of the node being run).
  template <class T>
  void accumulate(TensorImpl& input, xt::xarray<T>&& g);
  template <class T, class E>
  void accumulate_expression(TensorImpl& input, const E& expression);

  /// The gradient buffer of `input`, allocated with `shape` (uninitialized) when it is new, and
  /// whether it is new; null when nobody wants this input's gradient. For ops that accumulate in
  /// place (a GEMM with beta = fresh ? 0 : 1) instead of building a temporary.
  template <class T>
  std::pair<xt::xarray<T>*, bool> buffer(TensorImpl& input, const Shape& shape);

  std::uint64_t id = 0;
  bool retain_graph = false;
  /// For grad(): leaves whose gradients are captured instead of accumulated into `.grad`.
  std::vector<std::pair<const TensorImpl*, Value>>* captured = nullptr;

 private:
  Value* target(TensorImpl& input);
};

// ---- template definitions ------------------------------------------------------------------

inline Value* BackwardRun::target(TensorImpl& input) {
  if (input.grad_fn) return &input.grad_fn->grad;
  if (captured) {
    for (auto& [impl, value] : *captured)
      if (impl == &input) return &value;
    return nullptr;  // grad(): a leaf nobody asked for
  }
  if (!input.grad) input.grad = std::make_shared<TensorImpl>();
  return &input.grad->value;
}

template <class T>
void BackwardRun::accumulate(TensorImpl& input, xt::xarray<T>&& g) {
  Value* slot = target(input);
  if (!slot) return;
  if (auto* existing = std::get_if<xt::xarray<T>>(slot))
    xt::noalias(*existing) += g;
  else
    *slot = std::move(g);
}

template <class T>
std::pair<xt::xarray<T>*, bool> BackwardRun::buffer(TensorImpl& input, const Shape& shape) {
  Value* slot = target(input);
  if (!slot) return {nullptr, false};
  if (auto* existing = std::get_if<xt::xarray<T>>(slot)) return {existing, false};
  *slot = xt::xarray<T>::from_shape(shape);
  return {&std::get<xt::xarray<T>>(*slot), true};
}

template <class T, class E>
void BackwardRun::accumulate_expression(TensorImpl& input, const E& expression) {
  Value* slot = target(input);
  if (!slot) return;
  if (auto* existing = std::get_if<xt::xarray<T>>(slot))
    xt::noalias(*existing) += expression;
  else
    *slot = xt::xarray<T>(expression);
}

}  // namespace tg
