#pragma once
// AdamW: Adam with decoupled weight decay, as torch.optim.AdamW (1.13).
#include "optim/adam.hpp"

namespace tg::optim {

/// AdamW's options: Adam's, with weight_decay defaulting to 1e-2.
///     `AdamWOptions(1e-3).betas(0.9, 0.999).weight_decay(1e-2)`
class AdamWOptions : public AdamFamilyOptions<AdamWOptions> {
 public:
  static constexpr bool kDecoupledWeightDecay = true;
  explicit AdamWOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 1e-2) {}
};

/// torch.optim.AdamW (1.13): p *= 1 - lr * weight_decay, then Adam's update without L2 in the gradient.
///
///     tg::optim::AdamW adamw(model->named_parameters(), tg::optim::AdamWOptions(3e-4));
class AdamW : public AdamFamily<AdamWOptions> {
 public:
  AdamW(NamedParameters params, AdamWOptions options = AdamWOptions());
  AdamW(std::vector<ParamGroup<AdamWOptions>> groups, AdamWOptions defaults = AdamWOptions());
};

}  // namespace tg::optim
