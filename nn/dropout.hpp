#pragma once
// Dropout as a module, so that train()/eval() switch it on and off.
#include "nn/module.hpp"

namespace tg::nn {

/// Zeroes each element with probability p while training and scales the rest by 1 / (1 - p);
/// the identity in eval mode.
///
///     auto drop = std::make_shared<tg::nn::Dropout>(0.1);
///     y = drop->forward(x);   // random while training
///     drop->eval();           // now y == x
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);

  Tensor forward(const Tensor& x);

  double p;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
