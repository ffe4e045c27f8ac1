#include "nn/linear.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

#include <cmath>

namespace tg::nn {

Linear::Linear(const LinearOptions& options_) : Module("Linear"), options(options_) {
  weight = register_parameter("weight", zeros({options.out_features_, options.in_features_}));
  if (options.bias_) bias = register_parameter("bias", zeros({options.out_features_}));
  reset_parameters();
}

void Linear::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = options.in_features_ ? 1 / std::sqrt(static_cast<double>(options.in_features_)) : 0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) {
  auto scope = record_scope();
  if (x.dim() == 0 || x.shape().back() != options.in_features_)
    fail<ShapeError>("{}: input of shape {} must have {} features in its last dimension", describe(),
                     shape_str(x.shape()), options.in_features_);
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options.in_features_, options.out_features_,
                     options.bias_);
}

}  // namespace tg::nn
