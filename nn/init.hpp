#pragma once
// Parameter initializers, as torch.nn.init: each fills a tensor in place (outside autograd) and
// returns it. Random ones draw from `generator`, or from the global one (tg::manual_seed) when null.
//
//     tg::Tensor w = tg::zeros({64, 32});
//     tg::nn::init::xavier_uniform_(w, tg::nn::init::calculate_gain(tg::nn::init::Nonlinearity::Tanh));
#include "autograd/tensor.hpp"

#include <utility>

namespace tg {
class Generator;
}

namespace tg::nn::init {

enum class Nonlinearity { Linear, Sigmoid, Tanh, Relu, LeakyRelu };
enum class FanMode { FanIn, FanOut };

/// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); `param` is leaky_relu's slope.
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
/// (fan_in, fan_out) of a weight of shape (out, in, *kernel): in * kernel and out * kernel.
std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

/// U(low, high).
const Tensor& uniform_(const Tensor& tensor, double low = 0, double high = 1, Generator* generator = nullptr);
/// N(mean, std^2).
const Tensor& normal_(const Tensor& tensor, double mean = 0, double std = 1, Generator* generator = nullptr);
const Tensor& constant_(const Tensor& tensor, double value);
const Tensor& zeros_(const Tensor& tensor);
const Tensor& ones_(const Tensor& tensor);

/// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).
const Tensor& xavier_uniform_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);
/// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
const Tensor& xavier_normal_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);

/// U(-b, b) with b = gain(nonlinearity, a) * sqrt(3 / fan) (He et al., 2015). PyTorch's default for
/// Linear and Conv weights is kaiming_uniform_(w, sqrt(5)), i.e. b = 1 / sqrt(fan_in).
const Tensor& kaiming_uniform_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                               Nonlinearity nonlinearity = Nonlinearity::LeakyRelu, Generator* generator = nullptr);
/// N(0, std^2) with std = gain(nonlinearity, a) / sqrt(fan).
const Tensor& kaiming_normal_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                              Nonlinearity nonlinearity = Nonlinearity::LeakyRelu, Generator* generator = nullptr);

/// A (semi-)orthogonal matrix times `gain` (Saxe et al., 2013), as PyTorch: QR of a standard normal
/// (rows, numel / rows) matrix, signs fixed so R's diagonal is positive. Rows are orthonormal when
/// rows <= cols, columns otherwise.
const Tensor& orthogonal_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);

}  // namespace tg::nn::init
