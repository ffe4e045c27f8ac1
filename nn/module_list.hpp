#pragma once
// A list of submodules registered as "0", "1", ..., as torch.nn.ModuleList.
#include "nn/module.hpp"

namespace tg::nn {

/// Holds submodules by index so that their parameters are named "<list>.<i>.<name>".
///
///     auto layers = register_module("layers", std::make_shared<tg::nn::ModuleList>());
///     for (int i = 0; i < 3; ++i) layers->push_back(std::make_shared<tg::nn::Linear>(8, 8));
///     layers->at<tg::nn::Linear>(2)->forward(x);
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}

  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(items_.size()), module);
    items_.push_back(module);
    return module;
  }
  std::size_t size() const { return items_.size(); }
  const std::shared_ptr<Module>& operator[](std::size_t i) const { return items_.at(i); }
  /// Item i as its concrete type; throws ValueError if it is not an M.
  template <class M>
  std::shared_ptr<M> at(std::size_t i) const {
    auto item = std::dynamic_pointer_cast<M>(items_.at(i));
    if (!item) fail<ValueError>("ModuleList: item {} is a {}, not the type asked for", i, items_.at(i)->type_name());
    return item;
  }

 private:
  std::vector<std::shared_ptr<Module>> items_;
};

}  // namespace tg::nn
