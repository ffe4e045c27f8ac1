#include "autograd/gradcheck.hpp"

#include "autograd/graph.hpp"

#include <cmath>

namespace tg {

namespace {

std::string element_name(const Shape& shape, std::size_t flat) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

Tensor checked_output(const std::function<Tensor()>& f) {
  Tensor y = f();
  if (!y.defined()) fail<ValueError>("gradcheck: the function returned an undefined tensor");
  if (y.dtype() != Dtype::Float64)
    fail<DtypeError>("gradcheck: the function returned {}; it must compute in float64", dtype_name(y.dtype()));
  return y;
}

}  // namespace

GradcheckResult gradcheck_named(const std::function<Tensor()>& f,
                                const std::vector<std::pair<std::string, Tensor>>& tensors,
                                const GradcheckOptions& options) {
  std::vector<Tensor> wrt;
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) fail<ValueError>("gradcheck: '{}' is an undefined tensor", name);
    if (t.dtype() != Dtype::Float64)
      fail<DtypeError>("gradcheck: '{}' is {}; gradcheck needs float64, because float32's rounding error "
                       "(about 1e-7 relative) divided by the finite-difference step eps={} swamps the "
                       "derivative. Convert with .to(tg::kFloat64)",
                       name, dtype_name(t.dtype()), options.eps);
    if (!t.requires_grad()) continue;
    if (!t.is_leaf()) fail<ValueError>("gradcheck: '{}' is not a leaf tensor; check leaves only", name);
    wrt.push_back(t);
    names.push_back(name);
  }
  if (wrt.empty()) fail<ValueError>("gradcheck: no input requires grad, so there is nothing to check");

  // Analytical Jacobian, one backward per output element: analytical[i][e * outputs + j].
  Tensor y = checked_output(f);
  const std::size_t outputs = y.numel();
  std::vector<std::vector<double>> analytical(wrt.size());
  for (std::size_t i = 0; i < wrt.size(); ++i) analytical[i].assign(wrt[i].numel() * outputs, 0.0);
  if (y.requires_grad()) {
    for (std::size_t j = 0; j < outputs; ++j) {
      Tensor seed = zeros(y.shape(), kFloat64);
      seed.data<double>().data()[j] = 1;
      auto grads = grad(std::span<const Tensor>(&y, 1), wrt, std::span<const Tensor>(&seed, 1),
                        GradOptions{.retain_graph = true, .allow_unused = true});
      for (std::size_t i = 0; i < wrt.size(); ++i) {
        if (!grads[i].defined()) continue;
        if (grads[i].shape() != wrt[i].shape())
          fail<GradcheckError>("gradcheck: gradient of '{}' has shape {} but the tensor has shape {}", names[i],
                               shape_str(grads[i].shape()), shape_str(wrt[i].shape()));
        const double* g = grads[i].data<double>().data();
        for (std::size_t e = 0; e < wrt[i].numel(); ++e) analytical[i][e * outputs + j] = g[e];
      }
    }
  }

  // Numerical Jacobian by central differences, and the comparison.
  GradcheckResult result;
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    double* x = wrt[i].data<double>().data();
    for (std::size_t e = 0; e < wrt[i].numel(); ++e) {
      const double saved = x[e];
      x[e] = saved + options.eps;
      xt::xarray<double> plus = checked_output(f).data<double>();
      x[e] = saved - options.eps;
      xt::xarray<double> minus = checked_output(f).data<double>();
      x[e] = saved;
      for (std::size_t j = 0; j < outputs; ++j) {
        const double numerical = (plus.data()[j] - minus.data()[j]) / (2 * options.eps);
        const double a = analytical[i][e * outputs + j];
        const double abs_error = std::abs(a - numerical);
        const double rel_error = abs_error / std::max(std::abs(numerical), 1e-300);
        result.max_abs_error = std::max(result.max_abs_error, abs_error);
        if (std::abs(numerical) > options.atol) result.max_rel_error = std::max(result.max_rel_error, rel_error);
        const bool bad = !(abs_error <= options.atol + options.rtol * std::abs(numerical));  // NaN is bad
        if (bad && result.ok) {
          result.ok = false;
          result.message = fmt::format(
              "gradcheck: wrong gradient for {}{} (tensor {} of {}, shape {}) with respect to output element {}: "
              "analytical {:.10g}, numerical {:.10g} (abs error {:.3g}, allowed {:.3g})",
              names[i], element_name(wrt[i].shape(), e), i, wrt.size(), shape_str(wrt[i].shape()),
              element_name(y.shape(), j), a, numerical, abs_error, options.atol + options.rtol * std::abs(numerical));
        }
      }
    }
  }
  if (!result.ok) {
    result.message += fmt::format("; max abs error {:.3g}, max rel error {:.3g}", result.max_abs_error,
                                  result.max_rel_error);
    if (options.raise_exception) throw GradcheckError(result.message);
  }
  return result;
}

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<std::pair<std::string, Tensor>> named;
  for (std::size_t i = 0; i < inputs.size(); ++i) named.emplace_back(fmt::format("input {}", i), inputs[i]);
  return gradcheck_named([&] { return f(inputs); }, named, options);
}

}  // namespace tg
