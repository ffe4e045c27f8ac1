#include "nn/elmo.hpp"

#include "autograd/ops.hpp"

#include <tuple>

namespace tg::nn {

Elmo::Elmo(std::shared_ptr<ElmoBiLm> bilm_, const ElmoMixOptions& options_) : Module("Elmo"), options(options_) {
  if (!bilm_) fail<ValueError>("Elmo: the biLM is null");
  if (options.num_output_representations_ == 0 || !(options.dropout_ >= 0 && options.dropout_ < 1))
    fail<ValueError>("{}: needs at least one representation and dropout in [0, 1)", describe());
  bilm = register_module("_elmo_lstm", std::move(bilm_));
  for (auto& [name, p] : bilm->named_parameters()) p.requires_grad_(false);
  for (std::size_t k = 0; k < options.num_output_representations_; ++k)
    scalar_mixes.push_back(register_module(
        "scalar_mix_" + std::to_string(k),
        std::make_shared<ScalarMix>(ScalarMixOptions(bilm->num_layers()).do_layer_norm(options.do_layer_norm_))));
}

ElmoOutput Elmo::forward(const IndexArray& char_ids) {
  auto scope = record_scope();
  ElmoBiLmOutput layers = bilm->forward(char_ids);
  ElmoOutput out;
  out.mask = layers.mask;
  for (auto& mix : scalar_mixes) {
    Tensor mixed = mix->forward(layers.activations, layers.mask);
    if (!options.keep_sentence_boundaries_) std::tie(mixed, out.mask) = remove_sentence_boundaries(mixed, layers.mask);
    out.elmo_representations.push_back(dropout(mixed, options.dropout_, is_training()));
  }
  return out;
}

std::string Elmo::extra_repr() const {
  return fmt::format("num_output_representations={}, do_layer_norm={}, dropout={}", options.num_output_representations_,
                     options.do_layer_norm_, options.dropout_);
}

std::pair<Tensor, Mask> remove_sentence_boundaries(const Tensor& x, const Mask& mask) {
  if (x.dim() != 3 || mask.dimension() != 2 || x.shape()[0] != mask.shape()[0] || x.shape()[1] != mask.shape()[1] ||
      x.shape()[1] < 2)
    fail<ShapeError>("remove_sentence_boundaries: x {} and mask {} must be (N, T + 2, D) and (N, T + 2)",
                     shape_str(x.shape()), shape_str(mask.shape()));
  const std::size_t n = mask.shape()[0], steps = mask.shape()[1] - 2;
  Mask kept = xt::zeros<bool>({n, steps});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t length = xt::sum(xt::cast<std::size_t>(xt::view(mask, i, xt::all())))();
    for (std::size_t t = 0; t + 2 < length; ++t) kept(i, t) = true;
  }
  // Position t of the result is x's t + 1; beyond a sentence's tokens (its </S> and padding) it is zeroed.
  Tensor inner = narrow(x, 1, 1, steps);
  Tensor valid = visit_dtype(x.dtype(), [&]<class T>() { return unsqueeze(from_array<T>(xt::cast<T>(kept)), -1); });
  return {inner * valid, kept};
}

}  // namespace tg::nn
