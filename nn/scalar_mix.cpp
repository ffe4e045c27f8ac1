#include "nn/scalar_mix.hpp"

#include "autograd/ops.hpp"

namespace tg::nn {

ScalarMix::ScalarMix(const ScalarMixOptions& options_) : Module("ScalarMix"), options(options_) {
  auto& initial = options.initial_scalar_parameters_;
  if (options.mixture_size_ == 0) fail<ValueError>("{}: needs at least one tensor to mix", describe());
  if (initial.empty()) initial.assign(options.mixture_size_, 0.0);
  if (initial.size() != options.mixture_size_)
    fail<ValueError>("{}: {} initial scalar parameters for a mixture of {}", describe(), initial.size(),
                     options.mixture_size_);
  scalar_parameters = register_module("scalar_parameters", std::make_shared<ParameterList>());
  for (double w : initial) scalar_parameters->push_back(full({1}, w), options.trainable_);
  gamma = register_parameter("gamma", ones({1}), options.trainable_);
}

Tensor ScalarMix::forward(const std::vector<Tensor>& tensors, const std::optional<Mask>& mask) {
  auto scope = record_scope();
  if (tensors.size() != options.mixture_size_)
    fail<ValueError>("{}: {} tensors given to a mixture of {}", describe(), tensors.size(), options.mixture_size_);
  const Shape& shape = tensors[0].shape();
  for (std::size_t k = 1; k < tensors.size(); ++k)
    if (tensors[k].shape() != shape)
      fail<ShapeError>("{}: tensor {} has shape {} but tensor 0 has {}", describe(), k, shape_str(tensors[k].shape()),
                       shape_str(shape));
  Tensor weights = softmax(concat(scalar_parameters->items(), 0), 0);

  // AllenNLP's _do_layer_norm: statistics over the valid elements of the whole batch.
  Tensor valid;
  double count = 0;
  if (options.do_layer_norm_) {
    if (!mask || shape.empty() || Shape(shape.begin(), shape.end() - 1) != Shape(mask->shape().begin(), mask->shape().end()))
      fail<ShapeError>("{}: layer norm needs a mask of shape {} (the tensors' without the last axis), got {}",
                       describe(), shape_str(Shape(shape.begin(), shape.end() - (shape.empty() ? 0 : 1))),
                       mask ? shape_str(mask->shape()) : "none");
    count = static_cast<double>(xt::sum(xt::cast<std::size_t>(*mask))()) * static_cast<double>(shape.back());
    if (count == 0) fail<ValueError>("{}: layer norm over a mask with no valid position", describe());
    valid = visit_dtype(tensors[0].dtype(), [&]<class T>() { return unsqueeze(from_array<T>(xt::cast<T>(*mask)), -1); });
  }
  Tensor mixed;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    Tensor h = tensors[k];
    if (options.do_layer_norm_) {
      Tensor masked = h * valid;
      Tensor mean = sum(masked) / count;
      Tensor variance = sum(pow((masked - mean) * valid, 2)) / count;
      h = (h - mean) / sqrt(variance + 1e-13);
    }
    Tensor piece = select(weights, 0, k) * h;
    mixed = k == 0 ? piece : mixed + piece;
  }
  return gamma * mixed;
}

std::string ScalarMix::extra_repr() const {
  return fmt::format("mixture_size={}, do_layer_norm={}", options.mixture_size_, options.do_layer_norm_);
}

}  // namespace tg::nn
