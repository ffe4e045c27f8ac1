#include "support/tiny_mlp.hpp"

#include <cmath>

namespace tg::test {

TinyMlp::TinyMlp(std::uint64_t seed, Dtype dtype, std::size_t batch, std::size_t in, std::size_t hidden) {
  Generator g(seed);
  const auto param = TensorOptions().dtype(dtype).requires_grad();
  const double scale1 = 1.0 / std::sqrt(static_cast<double>(in)), scale2 = 1.0 / std::sqrt(static_cast<double>(hidden));
  w1 = rand({hidden, in}, param, -scale1, scale1, &g);
  b1 = rand({hidden}, param, -scale1, scale1, &g);
  w2 = rand({1, hidden}, param, -scale2, scale2, &g);
  b2 = rand({1}, param, -scale2, scale2, &g);
  x = randn({batch, in}, dtype, &g);
  y = tanh(sum(x, {1}, /*keepdim=*/true) * 0.5);
}

Tensor TinyMlp::loss() const {
  const Tensor prediction = linear(tanh(linear(x, w1, b1)), w2, b2);
  const Tensor error = prediction - y;
  return mean(error * error);
}

double TinyMlp::train_step(double lr) {
  Tensor l = loss();
  l.backward();
  NoGradGuard no_grad;
  for (const Tensor& p : parameters()) {
    visit_dtype(p.dtype(), [&]<class T>() {
      p.data<T>() -= static_cast<T>(lr) * p.grad().data<T>();
    });
    p.zero_grad();
  }
  return l.item();
}

}  // namespace tg::test
