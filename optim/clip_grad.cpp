#include "optim/clip_grad.hpp"

#include "optim/update_kernels.hpp"
#include "optim/update_loop.hpp"

#include <cmath>

namespace tg::optim {

namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined()) grads.push_back(g);
  }
  return grads;
}

std::vector<Tensor> tensors_of(const NamedParameters& parameters) {
  std::vector<Tensor> out;
  out.reserve(parameters.size());
  for (const auto& named : parameters) out.push_back(named.second);
  return out;
}

std::vector<std::size_t> sizes_of(const std::vector<Tensor>& tensors) {
  std::vector<std::size_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.numel());
  return sizes;
}

// Calls f(pointer, begin, end) with the typed data of tensor k, for every chunk, in parallel.
template <class F>
void for_each_typed_chunk(const std::vector<Tensor>& tensors, const std::vector<std::size_t>& sizes, F&& f) {
  detail::for_each_chunk(sizes, [&](std::size_t k, std::size_t begin, std::size_t end, std::size_t chunk) {
    visit_dtype(tensors[k].dtype(), [&]<class T>() { f(tensors[k].data<T>().data(), begin, end, chunk); });
  });
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0))
    fail<ValueError>("clip_grad_norm: max_norm = {} (must be >= 0; a negative one would flip the gradients' sign)",
                     max_norm);
  if (!(norm_type > 0))
    fail<ValueError>("clip_grad_norm: norm_type = {} (must be > 0, or infinity)", norm_type);
  const std::vector<Tensor> grads = defined_grads(parameters);
  if (grads.empty()) return 0;
  const std::vector<std::size_t> sizes = sizes_of(grads);
  const bool inf_norm = std::isinf(norm_type);

  // One partial per fixed chunk, combined in chunk order: the sum never depends on the threads.
  std::vector<double> partials(detail::count_chunks(sizes), 0.0);
  for_each_typed_chunk(grads, sizes, [&](const auto* g, std::size_t begin, std::size_t end, std::size_t chunk) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(g)>>;
    if (!inf_norm) {
      partials[chunk] = detail::update_kernels<T>().sum_of_powers(g, begin, end, norm_type);
    } else {
      double acc = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const double a = std::abs(double(g[i]));
        acc = std::isnan(a) || a > acc ? a : acc;
      }
      partials[chunk] = acc;
    }
  });
  double total = 0;
  for (double partial : partials) total = inf_norm ? (std::isnan(partial) || partial > total ? partial : total) : total + partial;
  if (!inf_norm) total = norm_type == 1 ? total : norm_type == 2 ? std::sqrt(total) : std::pow(total, 1 / norm_type);

  if (error_if_nonfinite && !std::isfinite(total))
    fail<ValueError>("clip_grad_norm: the total norm of order {} of the gradients is {}, so it cannot be "
                     "clipped; pass error_if_nonfinite = false to clip anyway", norm_type, total);
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1 || std::isnan(coefficient))
    for_each_typed_chunk(grads, sizes, [&](auto* g, std::size_t begin, std::size_t end, std::size_t) {
      using T = std::remove_pointer_t<decltype(g)>;
      detail::update_kernels<T>().scale(g, T(coefficient), begin, end);
    });
  return total;
}

double clip_grad_norm(const NamedParameters& parameters, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm(tensors_of(parameters), max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value(const std::vector<Tensor>& parameters, double clip) {
  if (!(clip >= 0)) fail<ValueError>("clip_grad_value: clip = {} (must be >= 0)", clip);
  const std::vector<Tensor> grads = defined_grads(parameters);
  for_each_typed_chunk(grads, sizes_of(grads), [&](auto* g, std::size_t begin, std::size_t end, std::size_t) {
    using T = std::remove_pointer_t<decltype(g)>;
    for (std::size_t i = begin; i < end; ++i) g[i] = std::clamp(g[i], T(-clip), T(clip));
  });
}

void clip_grad_value(const NamedParameters& parameters, double clip) { clip_grad_value(tensors_of(parameters), clip); }

}  // namespace tg::optim
