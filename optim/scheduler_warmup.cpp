#include "optim/scheduler_warmup.hpp"

namespace tg::optim {

namespace {
std::vector<double> base_lrs_of(const std::unique_ptr<LRScheduler>& after) {
  return after ? after->base_lrs() : std::vector<double>{};
}
}  // namespace

LinearWarmup::LinearWarmup(Optimizer& optimizer, long warmup_steps, double start_factor, std::unique_ptr<LRScheduler> after)
    : LRScheduler(optimizer, "LinearWarmup", base_lrs_of(after)),
      warmup_steps_(warmup_steps), start_factor_(start_factor), after_(std::move(after)) {
  if (warmup_steps < 1) fail<ValueError>("LinearWarmup: invalid warmup_steps = {} (must be >= 1)", warmup_steps);
  if (!(start_factor > 0 && start_factor <= 1))
    fail<ValueError>("LinearWarmup: invalid start_factor = {} (must be in (0, 1])", start_factor);
  if (after_ && &after_->optimizer() != &optimizer)
    fail<ValueError>("LinearWarmup: the scheduler to hand over to ({}) drives another optimizer", after_->name());
  // As SequentialLR: undo whatever `after`'s own initial step did and start the warm-up from base lrs.
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, base_lrs_[g]);
  initial_step();
}

void LinearWarmup::step() {
  if (!after_ || last_epoch_ + 1 < warmup_steps_) return LRScheduler::step();
  ++last_epoch_;
  if (last_epoch_ == warmup_steps_) after_->restart();
  else after_->step();
}

// torch's LinearLR with end_factor 1: factors start_factor -> 1 in warmup_steps equal increments.
double LinearWarmup::next_lr(double lr, double) const {
  if (last_epoch_ == 0) return lr * start_factor_;
  if (last_epoch_ > warmup_steps_) return lr;
  return lr * (1. + (1 - start_factor_) / (double(warmup_steps_) * start_factor_ + double(last_epoch_ - 1) * (1 - start_factor_)));
}

StateDict LinearWarmup::state_dict() const {
  StateDict dict = LRScheduler::state_dict();
  if (after_)
    for (auto& [key, value] : after_->state_dict()) dict["after." + key] = value;
  return dict;
}

void LinearWarmup::load_state_dict(const StateDict& dict) {
  if (after_) {
    StateDict inner;
    for (const auto& [key, value] : dict)
      if (key.starts_with("after.")) inner[key.substr(6)] = value;
    after_->load_state_dict(inner);
  }
  LRScheduler::load_state_dict(dict);
}

}  // namespace tg::optim
