#pragma once
// The optimizer base: named parameters in groups with their own options, per-parameter state,
// and a state dict that restores training bitwise.
#include "autograd/error.hpp"
#include "autograd/io/npz.hpp"
#include "autograd/tensor.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tg::optim {

/// Parameters with their dotted names, as `nn::Module::named_parameters()` returns them.
using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

/// One parameter's optimizer buffers by name ("exp_avg", "momentum_buffer"); scalars such as
/// "step" are 0-d float64 tensors.
using ParamState = std::map<std::string, Tensor>;

/// Throws ValueError "<optimizer>: invalid <option> = <value> (<requirement>)" unless `ok`, and
/// "(must be finite)" for NaN or infinity, which no option takes.
void check_option(bool ok, std::string_view optimizer, std::string_view option, double value,
                  std::string_view requirement);

/// What every optimizer offers to training loops and schedulers.
///
///     tg::optim::SGD sgd(model->named_parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
///     for (...) { sgd.zero_grad(); loss.backward(); sgd.step(); }
///     tg::save_npz("opt.npz", sgd.state_dict());
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient; parameters without one are skipped.
  virtual void step() = 0;
  /// Zeroes every gradient in place (PyTorch 1.13's default), or drops them with `set_to_none`,
  /// which also makes the next step() skip the parameters that get no new gradient.
  void zero_grad(bool set_to_none = false);

  const std::string& name() const { return name_; }
  virtual std::size_t num_param_groups() const = 0;
  virtual const NamedParameters& group_params(std::size_t group) const = 0;
  virtual double lr(std::size_t group = 0) const = 0;
  /// Schedulers change the learning rate through this.
  virtual void set_lr(std::size_t group, double lr) = 0;
  /// Buffers of the parameters that have been updated at least once, by parameter name.
  const std::map<std::string, ParamState>& state() const { return state_; }

  /// Copies of the state and the group options: `state.<param>.<buffer>` and
  /// `param_groups.<group>.<option>` (all float64 0-d tensors except the buffers).
  StateDict state_dict() const;
  /// Restores what state_dict() returned. Throws ValueError for unknown parameter names, missing or
  /// unknown keys, ShapeError for buffers whose shape differs from their parameter's; on a throw the
  /// optimizer is unchanged.
  void load_state_dict(const StateDict& dict);

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  /// The group's options as named scalars (booleans as 0/1), without the prefix.
  virtual std::vector<std::pair<std::string, double>> group_options(std::size_t group) const = 0;
  /// Sets (and validates) a group's options from named scalars, as group_options() wrote them.
  virtual void set_group_options(std::size_t group, const std::map<std::string, double>& options) = 0;
  /// The gradient of `param`, or an undefined tensor when it has none (then the step skips it).
  /// Throws if the gradient's shape or dtype differs from the parameter's.
  Tensor grad_of(const std::string& name, const Tensor& param) const;
  /// Throws unless there is a parameter, every parameter is a defined leaf and no name appears twice.
  void check_parameters() const;
  /// Throws IndexError "<optimizer>.<method>: param group <group>, ..." unless the group exists.
  void check_group(std::size_t group, std::string_view method) const;
  /// The buffer `key` of parameter `name`: zeros like `param` when `fresh` is set on return.
  Tensor& buffer(const std::string& name, const Tensor& param, const std::string& key, bool* fresh = nullptr);

  std::map<std::string, ParamState> state_;

 private:
  std::string name_;
};

/// Parameters that share options; options left empty take the optimizer's defaults.
///
///     tg::optim::SGD sgd({{encoder_params}, {head_params, tg::optim::SGDOptions(0.01)}},
///                        tg::optim::SGDOptions(0.1).momentum(0.9));
template <class Options>
struct ParamGroup {
  ParamGroup(NamedParameters params) : params(std::move(params)) {}  // NOLINT: implicit on purpose
  ParamGroup(NamedParameters params, Options options) : params(std::move(params)), options(std::move(options)) {}
  NamedParameters params;
  std::optional<Options> options;
};

/// An optimizer whose groups hold options of type Options. Options provides `lr()`, `lr(double)`,
/// `validate(optimizer_name)` and `static fields(self, f)` that calls f(name, member) for each option.
template <class Options>
class GroupedOptimizer : public Optimizer {
 public:
  struct Group {
    NamedParameters params;
    Options options;
  };

  std::size_t num_param_groups() const override { return groups_.size(); }
  const NamedParameters& group_params(std::size_t group) const override { return group_at(group, "group_params").params; }
  double lr(std::size_t group = 0) const override { return group_at(group, "lr").options.lr(); }
  /// Validated as the constructor validates it (a scheduler's NaN stops here); a bad value changes nothing.
  void set_lr(std::size_t group, double lr) override {
    Options options = group_at(group, "set_lr").options;
    options.lr(lr);
    options.validate(name() + ".set_lr");
    groups_[group].options = options;
  }
  const Options& options(std::size_t group = 0) const { return group_at(group, "options").options; }
  const Options& defaults() const { return defaults_; }

 protected:
  GroupedOptimizer(std::string name, std::vector<ParamGroup<Options>> groups, Options defaults)
      : Optimizer(std::move(name)), defaults_(std::move(defaults)) {
    defaults_.validate(this->name());
    for (auto& group : groups) {
      groups_.push_back({std::move(group.params), group.options.value_or(defaults_)});
      groups_.back().options.validate(this->name());
    }
    check_parameters();
  }

  std::vector<std::pair<std::string, double>> group_options(std::size_t group) const override {
    std::vector<std::pair<std::string, double>> out;
    Options::fields(groups_.at(group).options, [&](const char* key, auto value) { out.emplace_back(key, double(value)); });
    return out;
  }

  void set_group_options(std::size_t group, const std::map<std::string, double>& values) override {
    Options options = groups_.at(group).options;
    Options::fields(options, [&](const char* key, auto& member) {
      auto it = values.find(key);
      if (it == values.end())
        fail<ValueError>("{}.load_state_dict: missing param_groups.{}.{}", name(), group, key);
      member = static_cast<std::remove_reference_t<decltype(member)>>(it->second);
    });
    options.validate(name());
    groups_[group].options = options;
  }

  const Group& group_at(std::size_t group, std::string_view method) const {
    check_group(group, method);
    return groups_[group];
  }

  std::vector<Group> groups_;
  Options defaults_;
};

}  // namespace tg::optim
