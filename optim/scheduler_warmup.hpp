#pragma once
// Linear learning-rate warm-up, alone or handing over to another scheduler.
#include "optim/scheduler.hpp"

#include <memory>

namespace tg::optim {

/// Raises the lr linearly from start_factor * base_lr to base_lr over `warmup_steps` steps, with
/// torch.optim.lr_scheduler.LinearLR's formula; then keeps it there, or hands over to `after`, which
/// restarts at its epoch 0 (torch's SequentialLR([LinearLR(opt, start_factor, 1, warmup_steps),
/// after], milestones=[warmup_steps])). `after` must drive the same optimizer.
///
///     auto cosine = std::make_unique<tg::optim::CosineAnnealingLR>(optimizer, 1000);
///     tg::optim::LinearWarmup scheduler(optimizer, 100, 0.01, std::move(cosine));
///     for (...) { train_step(); scheduler.step(); }
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& optimizer, long warmup_steps, double start_factor = 1.0 / 3,
               std::unique_ptr<LRScheduler> after = nullptr);

  void step() override;
  /// Adds `after.`-prefixed keys for the scheduler it hands over to.
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& dict) override;

 protected:
  double next_lr(double lr, double base_lr) const override;

 private:
  long warmup_steps_;
  double start_factor_;
  std::unique_ptr<LRScheduler> after_;
};

}  // namespace tg::optim
