#pragma once
// Learning-rate schedulers stepped once per epoch (or per iteration), as torch.optim.lr_scheduler:
// the base class and the decays StepLR, ExponentialLR and CosineAnnealingLR. ReduceLROnPlateau and
// LinearWarmup live in scheduler_plateau.hpp and scheduler_warmup.hpp.
#include "optim/optimizer.hpp"

#include <string>
#include <vector>

namespace tg::optim {

/// A scheduler that sets every group's lr from its epoch count, as torch's _LRScheduler: the
/// constructor performs step 0 (the lr usually stays the group's lr, its "base lr"), and each
/// step() advances one epoch with torch's recursive (chainable) formula.
///
///     tg::optim::StepLR scheduler(optimizer, /*step_size=*/30, /*gamma=*/0.1);
///     for (int epoch = 0; epoch < 90; ++epoch) { train_one_epoch(); scheduler.step(); }
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch and updates the optimizer's learning rates.
  virtual void step();
  /// Epochs stepped since construction (0 right after it, as torch's last_epoch).
  long last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  /// The learning rates of all groups now.
  std::vector<double> get_last_lr() const;
  Optimizer& optimizer() const { return optimizer_; }
  const std::string& name() const { return name_; }

  /// `last_epoch` and `base_lrs.<group>` as 0-d float64 tensors; the lrs themselves are in the
  /// optimizer's state dict.
  virtual StateDict state_dict() const;
  /// Restores state_dict(); throws ValueError naming the scheduler and the missing or mismatched key.
  virtual void load_state_dict(const StateDict& dict);

  /// Starts over at epoch 0 with every lr at its base lr (torch's step(0) with the closed form),
  /// as when LinearWarmup hands over.
  void restart();

 protected:
  /// `base_lrs` defaults to the groups' current lrs.
  LRScheduler(Optimizer& optimizer, std::string name, std::vector<double> base_lrs = {});
  /// Derived constructors call this last: torch's initial step to epoch 0.
  void initial_step() { step(); }
  /// The lr of a group for epoch last_epoch() (already advanced), from its current and base lrs.
  virtual double next_lr(double lr, double base_lr) const = 0;
  /// Reads the scalar `key` from `dict`; throws ValueError naming the scheduler if it is missing.
  double read(const StateDict& dict, const std::string& key) const;

  Optimizer& optimizer_;
  std::string name_;
  std::vector<double> base_lrs_;
  long last_epoch_ = -1;
};

/// lr = base_lr * gamma^(epoch / step_size), as torch.optim.lr_scheduler.StepLR.
///
///     tg::optim::StepLR scheduler(optimizer, 30, 0.1);
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, long step_size, double gamma = 0.1);

 protected:
  double next_lr(double lr, double base_lr) const override;

 private:
  long step_size_;
  double gamma_;
};

/// lr = base_lr * gamma^epoch, as torch.optim.lr_scheduler.ExponentialLR.
///
///     tg::optim::ExponentialLR scheduler(optimizer, 0.95);
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double next_lr(double lr, double base_lr) const override;

 private:
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, continuing as a cosine past
/// T_max, with torch.optim.lr_scheduler.CosineAnnealingLR's recursive form.
///
///     tg::optim::CosineAnnealingLR scheduler(optimizer, /*T_max=*/100, /*eta_min=*/1e-5);
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, long T_max, double eta_min = 0);

 protected:
  double next_lr(double lr, double base_lr) const override;

 private:
  long T_max_;
  double eta_min_;
};

}  // namespace tg::optim
