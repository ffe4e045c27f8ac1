#include "nn/conv1d.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

#include <cmath>

namespace tg::nn {

Tensor max_over_time(const Tensor& x) {
  if (!x.defined() || x.dim() == 0 || x.shape().back() == 0)
    fail<ShapeError>("max_over_time: need a tensor with a non-empty last (time) axis, got shape {}",
                     x.defined() ? shape_str(x.shape()) : "undefined");
  return max(x, -1);
}

Conv1d::Conv1d(const Conv1dOptions& options_) : Module("Conv1d"), options(options_) {
  if (options.kernel_size_ == 0 || options.stride_ == 0)
    fail<ValueError>("Conv1d({}): kernel_size and stride must be positive", extra_repr());
  weight = register_parameter("weight", zeros({options.out_channels_, options.in_channels_, options.kernel_size_}));
  if (options.bias_) bias = register_parameter("bias", zeros({options.out_channels_}));
  reset_parameters();
}

void Conv1d::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1 / std::sqrt(static_cast<double>(options.in_channels_ * options.kernel_size_));
    init::uniform_(bias, -bound, bound);
  }
}

void Conv1d::check_input(const Tensor& x) const {
  if (x.dim() != 3 || x.shape()[1] != options.in_channels_)
    fail<ShapeError>("{}: input of shape {} must be (N, {}, L)", describe(), shape_str(x.shape()),
                     options.in_channels_);
}

Tensor Conv1d::forward(const Tensor& x) {
  auto scope = record_scope();
  check_input(x);
  return tg::conv1d(x, weight, bias, options.stride_, options.padding_);
}

Tensor Conv1d::forward_max_over_time(const Tensor& x) {
  auto scope = record_scope();
  check_input(x);
  return tg::conv1d_max_over_time(x, weight, bias, options.stride_, options.padding_);
}

std::string Conv1d::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size=({},), stride=({},)", options.in_channels_, options.out_channels_,
                              options.kernel_size_, options.stride_);
  if (options.padding_) s += fmt::format(", padding=({},)", options.padding_);
  if (!options.bias_) s += ", bias=false";
  return s;
}

}  // namespace tg::nn
