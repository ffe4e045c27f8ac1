#pragma once
// ELMo's scalar mix of layers, as AllenNLP's ScalarMix.
#include "nn/parameter_list.hpp"

#include <optional>
#include <vector>

namespace tg::nn {

struct ScalarMixOptions {
  explicit ScalarMixOptions(std::size_t mixture_size) : mixture_size_(mixture_size) {}
  /// Normalise each layer by the mean and variance of its valid positions (the mask is then needed).
  ScalarMixOptions& do_layer_norm(bool on) { do_layer_norm_ = on; return *this; }
  /// The weights before the softmax (default all 0: the plain average).
  ScalarMixOptions& initial_scalar_parameters(std::vector<double> w) { initial_scalar_parameters_ = std::move(w); return *this; }
  /// false: the weights and gamma are constants (AllenNLP's trainable=False).
  ScalarMixOptions& trainable(bool on) { trainable_ = on; return *this; }

  std::size_t mixture_size_;
  bool do_layer_norm_ = false;
  std::vector<double> initial_scalar_parameters_;
  bool trainable_ = true;
};

/// mix = gamma * sum_k softmax(w)_k * h_k over `mixture_size` tensors of one shape (N, T, D), with
/// w = 0 and gamma = 1 to start. With do_layer_norm, each h_k is first normalised as AllenNLP does:
/// one mean and one variance over all valid elements of the batch (mask (N, T)),
///     h_k <- (h_k - mean) / sqrt(var + 1e-13)
/// so padded positions neither shift the statistics nor count in them. Parameters are named as
/// AllenNLP's: "scalar_parameters.<k>" (shape [1]) and "gamma" (shape [1]).
///
///     auto mix = std::make_shared<tg::nn::ScalarMix>(tg::nn::ScalarMixOptions(3));
///     tg::Tensor features = mix->forward({layer0, layer1, layer2});
class ScalarMix : public Module {
 public:
  explicit ScalarMix(const ScalarMixOptions& options);
  explicit ScalarMix(std::size_t mixture_size) : ScalarMix(ScalarMixOptions(mixture_size)) {}

  Tensor forward(const std::vector<Tensor>& tensors, const std::optional<Mask>& mask = std::nullopt);

  ScalarMixOptions options;
  std::shared_ptr<ParameterList> scalar_parameters;
  Tensor gamma;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
