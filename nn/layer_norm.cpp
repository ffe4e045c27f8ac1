#include "nn/layer_norm.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tg::nn {

LayerNorm::LayerNorm(const LayerNormOptions& options_) : Module("LayerNorm"), options(options_) {
  if (!(options.eps_ > 0)) fail<ValueError>("LayerNorm({}): eps {} must be positive", options.normalized_shape_, options.eps_);
  if (options.elementwise_affine_) {
    weight = register_parameter("weight", ones({options.normalized_shape_}));
    bias = register_parameter("bias", zeros({options.normalized_shape_}));
  }
}

void LayerNorm::reset_parameters() {
  if (!options.elementwise_affine_) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& x) {
  auto scope = record_scope();
  if (x.dim() == 0 || x.shape().back() != options.normalized_shape_)
    fail<ShapeError>("{}: input of shape {} must have {} features in its last dimension", describe(),
                     shape_str(x.shape()), options.normalized_shape_);
  Tensor centered = x - mean(x, {-1}, true);
  Tensor variance = mean(centered * centered, {-1}, true);
  Tensor y = centered / sqrt(variance + options.eps_);
  if (options.elementwise_affine_) y = y * weight + bias;
  return y;
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("({},), eps={}, elementwise_affine={}", options.normalized_shape_, options.eps_,
                     options.elementwise_affine_);
}

}  // namespace tg::nn
