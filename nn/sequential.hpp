#pragma once
// A chain of Tensor -> Tensor modules, as torch.nn.Sequential.
#include "nn/module.hpp"

#include <functional>

namespace tg::nn {

/// A parameterless step made from a function, for activations inside a Sequential:
/// `std::make_shared<tg::nn::Functional>("relu", tg::relu)`.
class Functional : public Module {
 public:
  Functional(std::string name, std::function<Tensor(const Tensor&)> function)
      : Module("Functional"), function_name(std::move(name)), function(std::move(function)) {}

  Tensor forward(const Tensor& x) {
    auto scope = record_scope();
    return function(x);
  }

  std::string function_name;
  std::function<Tensor(const Tensor&)> function;

 protected:
  std::string extra_repr() const override { return function_name; }
};

/// Runs its modules in order, each on the previous one's output; they are registered as "0",
/// "1", ... so that parameter names match PyTorch's ("0.weight").
///
///     auto mlp = std::make_shared<tg::nn::Sequential>(
///         std::make_shared<tg::nn::Linear>(4, 16),
///         std::make_shared<tg::nn::Functional>("tanh", tg::tanh),
///         std::make_shared<tg::nn::Linear>(16, 1));
///     tg::Tensor y = mlp->forward(x);
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <class... M>
  explicit Sequential(std::shared_ptr<M>... modules) : Sequential() {
    (push_back(std::move(modules)), ...);
  }

  /// Appends a module with a `Tensor forward(const Tensor&)`.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(steps_.size()), module);
    steps_.push_back([m = module.get()](const Tensor& x) { return m->forward(x); });
    return module;
  }
  std::size_t size() const { return steps_.size(); }

  Tensor forward(const Tensor& x);

 private:
  std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

}  // namespace tg::nn
