#include "nn/init.hpp"

#include "autograd/random.hpp"

#include <cmath>
#include <mutex>

namespace tg::nn::init {

namespace {

/// Calls f(generator), or f(the global generator) under its lock when `generator` is null.
template <class F>
void with_generator(Generator* generator, F f) {
  if (generator) return f(*generator);
  std::lock_guard lock(default_generator_mutex());
  f(default_generator());
}

/// Sets every element of `tensor` to `sample(generator)`, in memory order.
template <class Sample>
const Tensor& fill_random(const Tensor& tensor, Generator* generator, Sample sample) {
  with_generator(generator, [&](Generator& g) {
    visit_dtype(tensor.dtype(), [&]<class T>() {
      for (T& x : tensor.data<T>()) x = static_cast<T>(sample(g));
    });
  });
  return tensor;
}

void check_defined(const Tensor& tensor, const char* who) {
  if (!tensor.defined()) fail<ValueError>("init::{}: undefined tensor", who);
}

std::size_t fan(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

double kaiming_std(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  const std::size_t n = fan(tensor, mode);
  if (n == 0) fail<ValueError>("init::kaiming: tensor of shape {} has zero fan", shape_str(tensor.shape()));
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(n));
}

double xavier_std(const Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (fan_in + fan_out == 0) fail<ValueError>("init::xavier: tensor of shape {} has zero fan", shape_str(tensor.shape()));
  return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::Relu: return std::sqrt(2.0);
    case Nonlinearity::LeakyRelu: return std::sqrt(2.0 / (1 + param * param));
  }
  return 1.0;
}

std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  check_defined(tensor, "calculate_fan_in_and_fan_out");
  const Shape& shape = tensor.shape();
  if (shape.size() < 2)
    fail<ShapeError>("init: fan in and fan out need a tensor of at least 2 dimensions, got shape {}",
                     shape_str(shape));
  std::size_t receptive = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

const Tensor& uniform_(const Tensor& tensor, double low, double high, Generator* generator) {
  check_defined(tensor, "uniform_");
  if (!(low <= high)) fail<ValueError>("init::uniform_: low {} > high {}", low, high);
  return fill_random(tensor, generator, [&](Generator& g) { return low + (high - low) * g.uniform(); });
}

const Tensor& normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  check_defined(tensor, "normal_");
  if (!(std >= 0)) fail<ValueError>("init::normal_: std {} must be non-negative", std);
  return fill_random(tensor, generator, [&](Generator& g) { return mean + std * g.normal(); });
}

const Tensor& constant_(const Tensor& tensor, double value) {
  check_defined(tensor, "constant_");
  visit_dtype(tensor.dtype(), [&]<class T>() { tensor.data<T>().fill(static_cast<T>(value)); });
  return tensor;
}

const Tensor& zeros_(const Tensor& tensor) { return constant_(tensor, 0); }
const Tensor& ones_(const Tensor& tensor) { return constant_(tensor, 1); }

const Tensor& xavier_uniform_(const Tensor& tensor, double gain, Generator* generator) {
  const double a = std::sqrt(3.0) * xavier_std(tensor, gain);
  return uniform_(tensor, -a, a, generator);
}

const Tensor& xavier_normal_(const Tensor& tensor, double gain, Generator* generator) {
  return normal_(tensor, 0, xavier_std(tensor, gain), generator);
}

const Tensor& kaiming_uniform_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                               Generator* generator) {
  const double bound = std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity);
  return uniform_(tensor, -bound, bound, generator);
}

const Tensor& kaiming_normal_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                              Generator* generator) {
  return normal_(tensor, 0, kaiming_std(tensor, a, mode, nonlinearity), generator);
}

// Gram-Schmidt on the columns of the tall orientation yields Q with R's diagonal positive, which is
// exactly PyTorch's QR followed by its sign correction. Two passes keep Q orthogonal to rounding.
const Tensor& orthogonal_(const Tensor& tensor, double gain, Generator* generator) {
  check_defined(tensor, "orthogonal_");
  if (tensor.dim() < 2)
    fail<ShapeError>("init::orthogonal_: needs at least 2 dimensions, got shape {}", shape_str(tensor.shape()));
  const std::size_t rows = tensor.shape()[0];
  const std::size_t cols = rows ? tensor.numel() / rows : 0;
  if (rows == 0 || cols == 0) return tensor;
  const bool wide = rows < cols;
  const std::size_t m = wide ? cols : rows, n = wide ? rows : cols;  // tall: m >= n

  xt::xarray<double> a = xt::xarray<double>::from_shape({n, m});  // row j = column j of the tall matrix
  with_generator(generator, [&](Generator& g) {
    for (double& x : a) x = g.normal();
  });
  for (std::size_t j = 0; j < n; ++j) {
    double* v = &a(j, 0);
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t k = 0; k < j; ++k) {
        const double* q = &a(k, 0);
        double dot = 0;
        for (std::size_t i = 0; i < m; ++i) dot += q[i] * v[i];
        for (std::size_t i = 0; i < m; ++i) v[i] -= dot * q[i];
      }
    double norm = 0;
    for (std::size_t i = 0; i < m; ++i) norm += v[i] * v[i];
    norm = std::sqrt(norm);
    if (norm == 0) fail<ValueError>("init::orthogonal_: rank-deficient sample (shape {})", shape_str(tensor.shape()));
    for (std::size_t i = 0; i < m; ++i) v[i] /= norm;
  }
  // `a` holds Q^T (n x m): that is the result when wide, and its transpose otherwise.
  xt::xarray<double> q = wide ? a : xt::xarray<double>(xt::transpose(a));
  q *= gain;
  visit_dtype(tensor.dtype(), [&]<class T>() {
    auto& out = tensor.data<T>();
    std::copy(q.begin(), q.end(), out.begin());
  });
  return tensor;
}

}  // namespace tg::nn::init
