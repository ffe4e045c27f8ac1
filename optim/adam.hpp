#pragma once
// Adam and its options, as torch.optim.Adam (1.13, single-tensor implementation). AdamW
// (optim/adamw.hpp) shares the update with decoupled weight decay.
#include "optim/optimizer.hpp"

namespace tg::optim {

/// Options of the Adam family; Self is the concrete options type, so setters chain.
template <class Self>
class AdamFamilyOptions {
 public:
  Self& lr(double v) { lr_ = v; return self(); }
  Self& betas(double beta1, double beta2) { beta1_ = beta1; beta2_ = beta2; return self(); }
  Self& eps(double v) { eps_ = v; return self(); }
  Self& weight_decay(double v) { weight_decay_ = v; return self(); }
  Self& amsgrad(bool v) { amsgrad_ = v; return self(); }
  double lr() const { return lr_; }
  std::pair<double, double> betas() const { return {beta1_, beta2_}; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }

  /// Throws ValueError naming `optimizer`, the option and its value, as torch.optim.Adam's checks.
  void validate(std::string_view optimizer) const;
  template <class S, class F>
  static void fields(S& self, F&& f) {
    f("lr", self.lr_);
    f("beta1", self.beta1_);
    f("beta2", self.beta2_);
    f("eps", self.eps_);
    f("weight_decay", self.weight_decay_);
    f("amsgrad", self.amsgrad_);
  }

 protected:
  AdamFamilyOptions(double lr, double weight_decay) : lr_(lr), weight_decay_(weight_decay) {}

 private:
  Self& self() { return static_cast<Self&>(*this); }
  double lr_;
  double beta1_ = 0.9;
  double beta2_ = 0.999;
  double eps_ = 1e-8;
  double weight_decay_;
  bool amsgrad_ = false;
};

/// Adam's options: `AdamOptions(1e-3).betas(0.9, 0.999).eps(1e-8).weight_decay(0).amsgrad(false)`.
class AdamOptions : public AdamFamilyOptions<AdamOptions> {
 public:
  static constexpr bool kDecoupledWeightDecay = false;
  explicit AdamOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 0) {}
};

/// The update shared by Adam and AdamW; `Options::kDecoupledWeightDecay` tells them apart.
template <class Options>
class AdamFamily : public GroupedOptimizer<Options> {
 public:
  void step() override;

 protected:
  using GroupedOptimizer<Options>::GroupedOptimizer;
};

/// torch.optim.Adam (1.13): per parameter, with t its own step count and g += weight_decay * p,
///     m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;   (amsgrad: vmax = max(vmax, v))
///     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
///     tg::optim::Adam adam(model->named_parameters(), tg::optim::AdamOptions(1e-3).amsgrad(true));
class Adam : public AdamFamily<AdamOptions> {
 public:
  Adam(NamedParameters params, AdamOptions options = AdamOptions());
  Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults = AdamOptions());
};

}  // namespace tg::optim
