#include "optim/scheduler.hpp"

#include <cmath>
#include <numbers>

namespace tg::optim {

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name, std::vector<double> base_lrs)
    : optimizer_(optimizer), name_(std::move(name)), base_lrs_(std::move(base_lrs)) {
  if (base_lrs_.empty()) base_lrs_ = get_last_lr();
  if (base_lrs_.size() != optimizer_.num_param_groups())
    fail<ValueError>("{}: {} base lrs for an optimizer with {} param groups", name_, base_lrs_.size(),
                     optimizer_.num_param_groups());
}

void LRScheduler::step() {
  ++last_epoch_;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, next_lr(optimizer_.lr(g), base_lrs_[g]));
}

void LRScheduler::restart() {
  last_epoch_ = 0;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, base_lrs_[g]);
}

std::vector<double> LRScheduler::get_last_lr() const {
  std::vector<double> lrs;
  for (std::size_t g = 0; g < optimizer_.num_param_groups(); ++g) lrs.push_back(optimizer_.lr(g));
  return lrs;
}

StateDict LRScheduler::state_dict() const {
  StateDict dict{{"last_epoch", tensor(double(last_epoch_), kFloat64)}};
  for (std::size_t g = 0; g < base_lrs_.size(); ++g)
    dict[fmt::format("base_lrs.{}", g)] = tensor(base_lrs_[g], kFloat64);
  return dict;
}

double LRScheduler::read(const StateDict& dict, const std::string& key) const {
  auto it = dict.find(key);
  if (it == dict.end()) fail<ValueError>("{}.load_state_dict: missing {}", name_, key);
  if (it->second.numel() != 1)
    fail<ValueError>("{}.load_state_dict: {} should hold one value but has shape {}", name_, key,
                     shape_str(it->second.shape()));
  return it->second.item();
}

void LRScheduler::load_state_dict(const StateDict& dict) {
  if (dict.contains(fmt::format("base_lrs.{}", base_lrs_.size())))
    fail<ValueError>("{}.load_state_dict: the dict has more than {} base lrs, one per param group", name_,
                     base_lrs_.size());
  std::vector<double> base_lrs;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) base_lrs.push_back(read(dict, fmt::format("base_lrs.{}", g)));
  last_epoch_ = long(read(dict, "last_epoch"));
  base_lrs_ = std::move(base_lrs);
}

// ---- StepLR ------------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, long step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1) fail<ValueError>("StepLR: invalid step_size = {} (must be >= 1)", step_size);
  initial_step();
}

double StepLR::next_lr(double lr, double) const {
  return last_epoch_ == 0 || last_epoch_ % step_size_ != 0 ? lr : lr * gamma_;
}

// ---- ExponentialLR -----------------------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  initial_step();
}

double ExponentialLR::next_lr(double lr, double) const { return last_epoch_ == 0 ? lr : lr * gamma_; }

// ---- CosineAnnealingLR -------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, long T_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), T_max_(T_max), eta_min_(eta_min) {
  if (T_max < 1) fail<ValueError>("CosineAnnealingLR: invalid T_max = {} (must be >= 1)", T_max);
  initial_step();
}

double CosineAnnealingLR::next_lr(double lr, double base_lr) const {
  constexpr double pi = std::numbers::pi;
  const long e = last_epoch_;
  if (e == 0) return lr;
  const long period = 2 * T_max_;
  if (((e - 1 - T_max_) % period + period) % period == 0)  // Python's modulo: the cosine's trough
    return lr + (base_lr - eta_min_) * (1 - std::cos(pi / double(T_max_))) / 2;
  return (1 + std::cos(pi * double(e) / double(T_max_))) / (1 + std::cos(pi * double(e - 1) / double(T_max_))) *
             (lr - eta_min_) + eta_min_;
}

}  // namespace tg::optim
