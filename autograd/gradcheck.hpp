#pragma once
// Numerical gradient checking: compares the analytical Jacobian (from the tape) with central finite
// differences, in float64, and says exactly which element is wrong.
#include "autograd/tensor.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tg {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytical - numerical| <= atol + rtol * |numerical|
  double rtol = 1e-3;
  bool raise_exception = true;  // throw GradcheckError on failure (as PyTorch); else only report

  GradcheckOptions& with_eps(double v) { eps = v; return *this; }
  GradcheckOptions& with_atol(double v) { atol = v; return *this; }
  GradcheckOptions& with_rtol(double v) { rtol = v; return *this; }
  GradcheckOptions& no_raise() { raise_exception = false; return *this; }
};

struct GradcheckError : Error {
  using Error::Error;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;        // empty when ok; else names the input, element, both values, errors
  double max_abs_error = 0;
  double max_rel_error = 0;
  explicit operator bool() const { return ok; }
};

/// Checks `f(inputs)` against finite differences for every input that requires grad.
/// All inputs must be float64 (float32 is refused: its rounding error swamps a 1e-6 step).
///
///     auto x = tg::randn({3, 4}, tg::TensorOptions().dtype(tg::kFloat64).requires_grad());
///     tg::gradcheck([](const auto& in) { return tg::tanh(in[0]); }, {x});
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

/// The same for tensors that `f` reads itself (e.g. a module's parameters), perturbed in place and
/// reported by name: a failure reads like "weight_hh_l1_reverse[3, 7]".
GradcheckResult gradcheck_named(const std::function<Tensor()>& f,
                                const std::vector<std::pair<std::string, Tensor>>& tensors,
                                const GradcheckOptions& options = {});

}  // namespace tg
