#include <tapegrad.hpp>

#include <iostream>

int main() {
  tg::Tensor w = tg::tensor({1.0, -2.0, 3.0}, tg::TensorOptions().requires_grad());
  tg::Tensor loss = tg::sum(w * w);
  loss.backward();
  // d sum(w^2) / dw = 2w
  const auto& g = w.grad().data<float>();
  const bool ok = g(0) == 2.0f && g(1) == -4.0f && g(2) == 6.0f;
  std::cout << "consumer: grad " << w.grad() << (ok ? " ok" : " WRONG") << "\n";
  return ok ? 0 : 1;
}
