#pragma once
// Gradient checking of a whole module, parameter by parameter, reported by parameter name.
#include "autograd/gradcheck.hpp"
#include "nn/module.hpp"

#include <functional>

namespace tg::nn {

/// Checks the gradients of `f` (which runs `module` and returns a float64 tensor) with respect to
/// every parameter of `module` that requires grad, by central differences. The module must be
/// float64; a failure names the parameter and element, e.g. "encoder.weight_hh_l1_reverse[3, 7]".
///
///     auto linear = std::make_shared<tg::nn::Linear>(4, 3);
///     linear->to(tg::kFloat64);
///     auto x = tg::randn({2, 4}, tg::TensorOptions().dtype(tg::kFloat64));
///     tg::nn::gradcheck(*linear, [&] { return linear->forward(x); });
GradcheckResult gradcheck(const Module& module, const std::function<Tensor()>& f,
                          const GradcheckOptions& options = {});

}  // namespace tg::nn
