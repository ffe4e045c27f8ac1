#include "optim/scheduler_plateau.hpp"

#include <algorithm>
#include <limits>

namespace tg::optim {

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(options) {
  if (!(options.factor() < 1))
    fail<ValueError>("ReduceLROnPlateau: invalid factor = {} (must be < 1)", options.factor());
  if (options.patience() < 0 || options.cooldown() < 0)
    fail<ValueError>("ReduceLROnPlateau: invalid patience = {} / cooldown = {} (must be >= 0)", options.patience(),
                     options.cooldown());
  if (options.min_lr() < 0) fail<ValueError>("ReduceLROnPlateau: invalid min_lr = {} (must be >= 0)", options.min_lr());
  constexpr double inf = std::numeric_limits<double>::infinity();
  best_ = options.mode() == PlateauMode::Min ? inf : -inf;
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double t = options_.threshold();
  const bool relative = options_.threshold_mode() == ThresholdMode::Relative;
  if (options_.mode() == PlateauMode::Min) return metric < (relative ? best_ * (1 - t) : best_ - t);
  return metric > (relative ? best_ * (t + 1) : best_ + t);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during the cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience()) {
    for (std::size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
      const double old_lr = optimizer_.lr(g);
      const double new_lr = std::max(old_lr * options_.factor(), options_.min_lr());
      if (old_lr - new_lr > options_.eps()) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
}

std::vector<double> ReduceLROnPlateau::get_last_lr() const {
  std::vector<double> lrs;
  for (std::size_t g = 0; g < optimizer_.num_param_groups(); ++g) lrs.push_back(optimizer_.lr(g));
  return lrs;
}

StateDict ReduceLROnPlateau::state_dict() const {
  return {{"best", tensor(best_, kFloat64)},
          {"num_bad_epochs", tensor(double(num_bad_epochs_), kFloat64)},
          {"cooldown_counter", tensor(double(cooldown_counter_), kFloat64)},
          {"last_epoch", tensor(double(last_epoch_), kFloat64)}};
}

void ReduceLROnPlateau::load_state_dict(const StateDict& dict) {
  double values[4];
  const char* keys[4] = {"best", "num_bad_epochs", "cooldown_counter", "last_epoch"};
  for (int i = 0; i < 4; ++i) {
    auto it = dict.find(keys[i]);
    if (it == dict.end() || it->second.numel() != 1)
      fail<ValueError>("ReduceLROnPlateau.load_state_dict: missing scalar {}", keys[i]);
    values[i] = it->second.item();
  }
  best_ = values[0];
  num_bad_epochs_ = long(values[1]);
  cooldown_counter_ = long(values[2]);
  last_epoch_ = long(values[3]);
}

}  // namespace tg::optim
