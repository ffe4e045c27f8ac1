#include "nn/dropout.hpp"

#include "autograd/ops.hpp"

namespace tg::nn {

Dropout::Dropout(double p_) : Module("Dropout"), p(p_) {
  if (!(p >= 0 && p <= 1)) fail<ValueError>("Dropout(p={}): p must be in [0, 1]", p);
}

Tensor Dropout::forward(const Tensor& x) {
  auto scope = record_scope();
  return dropout(x, p, is_training());
}

std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

}  // namespace tg::nn
