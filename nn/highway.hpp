#pragma once
// Highway layers as AllenNLP's (used by ELMo's character encoder).
#include "nn/module_list.hpp"

#include <functional>

namespace tg::nn {

struct HighwayOptions {
  explicit HighwayOptions(std::size_t size) : size_(size) {}
  HighwayOptions& num_layers(std::size_t n) { num_layers_ = n; return *this; }
  /// The nonlinearity f (relu by default).
  HighwayOptions& activation(std::function<Tensor(const Tensor&)> f) { activation_ = std::move(f); return *this; }

  std::size_t size_;
  std::size_t num_layers_ = 1;
  std::function<Tensor(const Tensor&)> activation_;
};

/// num_layers highway layers (Srivastava et al., 2015), exactly as allennlp.modules.Highway, so its
/// weights load by name ("_layers.0.weight"). Each layer is one Linear(size, 2 * size) whose output
/// is [nonlinear part | gate part]:
///     p = x W^T + b;   h = f(p[:, :size]);   g = sigmoid(p[:, size:]);   y = g * x + (1 - g) * h
/// The gate half of the bias starts at 1, so that a fresh layer mostly carries its input through.
/// (AllenNLP's g multiplies the carried input x; the paper's transform gate T is 1 - g.)
///
///     auto highway = std::make_shared<tg::nn::Highway>(tg::nn::HighwayOptions(2048).num_layers(2));
///     tg::Tensor y = highway->forward(tokens);   // (..., 2048) -> (..., 2048)
class Highway : public Module {
 public:
  explicit Highway(const HighwayOptions& options);
  Highway(std::size_t size, std::size_t num_layers) : Highway(HighwayOptions(size).num_layers(num_layers)) {}

  Tensor forward(const Tensor& x);
  void reset_parameters();

  HighwayOptions options;
  std::shared_ptr<ModuleList> layers;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
