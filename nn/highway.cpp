#include "nn/highway.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"

namespace tg::nn {

Highway::Highway(const HighwayOptions& options_) : Module("Highway"), options(options_) {
  if (!options.activation_) options.activation_ = [](const Tensor& x) { return relu(x); };
  layers = register_module("_layers", std::make_shared<ModuleList>());
  for (std::size_t i = 0; i < options.num_layers_; ++i)
    layers->push_back(std::make_shared<Linear>(options.size_, 2 * options.size_));
  reset_parameters();
}

void Highway::reset_parameters() {
  for (std::size_t i = 0; i < layers->size(); ++i) {
    auto layer = layers->at<Linear>(i);
    layer->reset_parameters();
    visit_dtype(layer->bias.dtype(), [&]<class T>() {
      xt::view(layer->bias.data<T>(), xt::range(options.size_, 2 * options.size_)) = T(1);
    });
  }
}

Tensor Highway::forward(const Tensor& x) {
  auto scope = record_scope();
  if (x.dim() == 0 || x.shape().back() != options.size_)
    fail<ShapeError>("{}: input of shape {} must have {} features in its last dimension", describe(),
                     shape_str(x.shape()), options.size_);
  Tensor current = x;
  for (std::size_t i = 0; i < layers->size(); ++i) {
    Tensor projected = layers->at<Linear>(i)->forward(current);
    Tensor nonlinear = options.activation_(narrow(projected, -1, 0, options.size_));
    Tensor gate = sigmoid(narrow(projected, -1, options.size_, options.size_));
    current = gate * current + (1.0 - gate) * nonlinear;
  }
  return current;
}

std::string Highway::extra_repr() const { return fmt::format("size={}, num_layers={}", options.size_, options.num_layers_); }

}  // namespace tg::nn
