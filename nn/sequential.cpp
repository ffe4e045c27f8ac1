#include "nn/sequential.hpp"

namespace tg::nn {

Tensor Sequential::forward(const Tensor& x) {
  auto scope = record_scope();
  Tensor y = x;
  for (const auto& step : steps_) y = step(y);
  return y;
}

}  // namespace tg::nn
