// Arrays a user builds with xtensor in their own program, compiled with their own flags, passed to
// the library and back: the types must be the library's, and the buffers aligned for its kernels.
#include <tapegrad.hpp>

#include <cmath>
#include <iostream>

int main() {
  // A float array of an odd size (a SIMD tail) through elementwise ops, a product and a backward.
  xt::xarray<float> values = xt::linspace<float>(-3.0f, 3.0f, 37);
  tg::Tensor x = tg::from_array(values, /*requires_grad=*/true);
  tg::Tensor loss = tg::sum(tg::tanh(x) * tg::sigmoid(x));
  loss.backward();
  double worst = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values(i), t = std::tanh(v), s = 1 / (1 + std::exp(-v));
    worst = std::max(worst, std::abs(x.grad().data<float>()(i) - ((1 - t * t) * s + t * s * (1 - s))));
  }
  // An IndexArray built here, through an embedding, a softmax and the cross-entropy.
  tg::IndexArray ids = {{1, 2, 3}, {3, 2, 1}};
  tg::Tensor table = tg::randn({4, 5}, tg::TensorOptions().requires_grad());
  tg::Tensor logits = tg::embedding(table, ids);  // (2, 3, 5)
  tg::Tensor ce = tg::cross_entropy(logits, xt::xarray<tg::Index>{{0, 1, 4}, {4, 1, 0}});
  ce.backward();
  const bool ok = worst < 1e-5 && std::isfinite(ce.item()) && table.grad().defined();
  std::cout << "arrays: largest gradient error " << worst << ", cross-entropy " << ce.item() << ", kernels "
            << tg::simd_isa() << (ok ? " ok" : " WRONG") << "\n";
  return ok ? 0 : 1;
}
