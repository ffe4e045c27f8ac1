#pragma once
// Fully connected layer, as torch.nn.Linear.
#include "nn/module.hpp"

namespace tg::nn {

struct LinearOptions {
  LinearOptions(std::size_t in_features, std::size_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  LinearOptions& bias(bool on) { bias_ = on; return *this; }

  std::size_t in_features_;
  std::size_t out_features_;
  bool bias_ = true;
};

/// y = x W^T + b over the last axis: (..., in_features) -> (..., out_features). Weight (out, in)
/// and bias (out) start as PyTorch's: U(-1/sqrt(in), 1/sqrt(in)).
///
///     auto fc = std::make_shared<tg::nn::Linear>(64, 10);
///     tg::Tensor logits = fc->forward(tg::randn({32, 64}));   // (32, 10)
class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  Linear(std::size_t in_features, std::size_t out_features, bool bias = true)
      : Linear(LinearOptions(in_features, out_features).bias(bias)) {}

  Tensor forward(const Tensor& x);
  /// Draws the weights again with PyTorch's default initialisation.
  void reset_parameters();

  LinearOptions options;
  Tensor weight;
  Tensor bias;  // undefined when options.bias_ is false

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
