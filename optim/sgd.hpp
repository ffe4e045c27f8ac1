#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, as torch.optim.SGD.
#include "optim/optimizer.hpp"

namespace tg::optim {

/// SGD's options: `SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4)`.
class SGDOptions {
 public:
  explicit SGDOptions(double lr) : lr_(lr) {}
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }

  /// Throws ValueError naming `optimizer`, the option and its value, as torch.optim.SGD's checks.
  void validate(std::string_view optimizer) const;
  template <class Self, class F>
  static void fields(Self& self, F&& f) {
    f("lr", self.lr_);
    f("momentum", self.momentum_);
    f("dampening", self.dampening_);
    f("weight_decay", self.weight_decay_);
    f("nesterov", self.nesterov_);
  }

 private:
  double lr_;
  double momentum_ = 0;
  double dampening_ = 0;
  double weight_decay_ = 0;
  bool nesterov_ = false;
};

/// torch.optim.SGD (1.13): with d = g + weight_decay * p,
///     buf = d on the first step, else momentum * buf + (1 - dampening) * d
///     p  -= lr * (nesterov ? d + momentum * buf : buf)        (p -= lr * d without momentum)
///
///     tg::optim::SGD sgd(model->named_parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
class SGD : public GroupedOptimizer<SGDOptions> {
 public:
  SGD(NamedParameters params, SGDOptions options);
  SGD(std::vector<ParamGroup<SGDOptions>> groups, SGDOptions defaults);
  void step() override;
};

}  // namespace tg::optim
