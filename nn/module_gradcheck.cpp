#include "nn/module_gradcheck.hpp"

namespace tg::nn {

GradcheckResult gradcheck(const Module& module, const std::function<Tensor()>& f, const GradcheckOptions& options) {
  return gradcheck_named(f, module.named_parameters(), options);
}

}  // namespace tg::nn
