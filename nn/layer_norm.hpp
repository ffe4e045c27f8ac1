#pragma once
// Layer normalisation over the last axis, as torch.nn.LayerNorm(normalized_shape=[size]).
#include "nn/module.hpp"

namespace tg::nn {

struct LayerNormOptions {
  explicit LayerNormOptions(std::size_t normalized_shape) : normalized_shape_(normalized_shape) {}
  LayerNormOptions& eps(double value) { eps_ = value; return *this; }
  /// Learn a per-feature scale (weight, starts at 1) and shift (bias, starts at 0).
  LayerNormOptions& elementwise_affine(bool on) { elementwise_affine_ = on; return *this; }

  std::size_t normalized_shape_;
  double eps_ = 1e-5;
  bool elementwise_affine_ = true;
};

/// y = (x - mean) / sqrt(var + eps) * weight + bias, with mean and the biased variance taken over
/// the last axis (Ba et al., 2016). Composed from differentiable ops.
///
///     auto norm = std::make_shared<tg::nn::LayerNorm>(512);
///     tg::Tensor y = norm->forward(tg::randn({8, 20, 512}));
class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  explicit LayerNorm(std::size_t normalized_shape) : LayerNorm(LayerNormOptions(normalized_shape)) {}

  Tensor forward(const Tensor& x);
  void reset_parameters();

  LayerNormOptions options;
  Tensor weight;  // undefined without elementwise_affine
  Tensor bias;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
