#pragma once
// A list of parameters registered as "0", "1", ..., as torch.nn.ParameterList.
#include "nn/module.hpp"

#include <string>
#include <vector>

namespace tg::nn {

/// Holds parameters by index so that they are named "<list>.<i>" (AllenNLP's ScalarMix keeps its
/// weights so: "scalar_parameters.0").
///
///     auto weights = register_module("weights", std::make_shared<tg::nn::ParameterList>());
///     weights->push_back(tg::zeros({1}));
///     tg::Tensor w0 = (*weights)[0];
class ParameterList : public Module {
 public:
  ParameterList() : Module("ParameterList") {}

  Tensor push_back(Tensor tensor, bool requires_grad = true) {
    items_.push_back(register_parameter(std::to_string(items_.size()), std::move(tensor), requires_grad));
    return items_.back();
  }
  std::size_t size() const { return items_.size(); }
  const Tensor& operator[](std::size_t i) const { return items_.at(i); }
  const std::vector<Tensor>& items() const { return items_; }

 private:
  std::vector<Tensor> items_;
};

}  // namespace tg::nn
