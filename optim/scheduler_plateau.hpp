#pragma once
// Reduce the learning rate when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau.
#include "optim/optimizer.hpp"

namespace tg::optim {

enum class PlateauMode { Min, Max };        // lower metric is better (a loss), or higher (accuracy)
enum class ThresholdMode { Relative, Absolute };

/// `ReduceLROnPlateauOptions().mode(PlateauMode::Max).factor(0.5).patience(3)`; defaults are torch's.
class ReduceLROnPlateauOptions {
 public:
  ReduceLROnPlateauOptions& mode(PlateauMode v) { mode_ = v; return *this; }
  ReduceLROnPlateauOptions& factor(double v) { factor_ = v; return *this; }
  ReduceLROnPlateauOptions& patience(long v) { patience_ = v; return *this; }
  ReduceLROnPlateauOptions& threshold(double v) { threshold_ = v; return *this; }
  ReduceLROnPlateauOptions& threshold_mode(ThresholdMode v) { threshold_mode_ = v; return *this; }
  ReduceLROnPlateauOptions& cooldown(long v) { cooldown_ = v; return *this; }
  ReduceLROnPlateauOptions& min_lr(double v) { min_lr_ = v; return *this; }
  ReduceLROnPlateauOptions& eps(double v) { eps_ = v; return *this; }
  PlateauMode mode() const { return mode_; }
  double factor() const { return factor_; }
  long patience() const { return patience_; }
  double threshold() const { return threshold_; }
  ThresholdMode threshold_mode() const { return threshold_mode_; }
  long cooldown() const { return cooldown_; }
  double min_lr() const { return min_lr_; }
  double eps() const { return eps_; }

 private:
  PlateauMode mode_ = PlateauMode::Min;
  double factor_ = 0.1;
  long patience_ = 10;
  double threshold_ = 1e-4;
  ThresholdMode threshold_mode_ = ThresholdMode::Relative;
  long cooldown_ = 0;
  double min_lr_ = 0;
  double eps_ = 1e-8;
};

/// After more than `patience` epochs without improvement, multiplies every lr by `factor` (not below
/// min_lr; changes smaller than eps are skipped), then waits `cooldown` epochs.
///
///     tg::optim::ReduceLROnPlateau scheduler(optimizer, tg::optim::ReduceLROnPlateauOptions().patience(2));
///     for (...) { train_one_epoch(); scheduler.step(validation_loss()); }
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});

  /// Records one epoch's metric and lowers the lrs if it has plateaued.
  void step(double metric);
  long last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  long num_bad_epochs() const { return num_bad_epochs_; }
  std::vector<double> get_last_lr() const;

  /// `best`, `num_bad_epochs`, `cooldown_counter`, `last_epoch` as 0-d float64 tensors.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& dict);

 private:
  bool is_better(double metric) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  long num_bad_epochs_ = 0;
  long cooldown_counter_ = 0;
  long last_epoch_ = 0;
};

}  // namespace tg::optim
