#include "optim/optimizer.hpp"

#include "autograd/graph.hpp"

#include <cmath>
#include <set>

namespace tg::optim {

namespace {

Tensor scalar(double value) { return tensor(value, kFloat64); }

double read_scalar(const std::string& optimizer, const std::string& key, const Tensor& t) {
  if (t.numel() != 1)
    fail<ShapeError>("{}.load_state_dict: {} should hold one value but has shape {}", optimizer, key, shape_str(t.shape()));
  return t.item();
}

}  // namespace

void check_option(bool ok, std::string_view optimizer, std::string_view option, double value,
                  std::string_view requirement) {
  if (!std::isfinite(value)) fail<ValueError>("{}: invalid {} = {} (must be finite)", optimizer, option, value);
  if (!ok) fail<ValueError>("{}: invalid {} = {} ({})", optimizer, option, value, requirement);
}

void Optimizer::zero_grad(bool set_to_none) {
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    for (const auto& [name, param] : group_params(g)) {
      if (set_to_none) {
        param.zero_grad();
        continue;
      }
      Tensor grad = param.grad();
      if (grad.defined()) visit_dtype(grad.dtype(), [&]<class T>() { grad.data<T>().fill(T(0)); });
    }
}

void Optimizer::check_parameters() const {
  std::size_t count = 0;
  for (std::size_t g = 0; g < num_param_groups(); ++g) count += group_params(g).size();
  // As PyTorch's "optimizer got an empty parameter list": such an optimizer would train nothing, silently.
  if (count == 0)
    fail<ValueError>("{}: got an empty parameter list; did the model register its layers (register_module) and "
                     "parameters (register_parameter)?", name_);
  std::set<std::string> seen;
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    for (const auto& [name, param] : group_params(g)) {
      if (!param.defined()) fail<ValueError>("{}: parameter '{}' (group {}) is an undefined tensor", name_, name, g);
      if (!param.is_leaf())
        fail<ValueError>("{}: parameter '{}' (group {}) is not a leaf; optimize leaves only", name_, name, g);
      if (!seen.insert(name).second)
        fail<ValueError>("{}: parameter '{}' appears more than once (group {})", name_, name, g);
    }
}

void Optimizer::check_group(std::size_t group, std::string_view method) const {
  if (group >= num_param_groups())
    fail<IndexError>("{}.{}: param group {}, but the optimizer has {} group(s)", name_, method, group, num_param_groups());
}

Tensor Optimizer::grad_of(const std::string& name, const Tensor& param) const {
  Tensor grad = param.grad();
  if (grad.defined() && (grad.shape() != param.shape() || grad.dtype() != param.dtype()))
    fail<ShapeError>("{}.step: gradient of '{}' is {} {} but the parameter is {} {}", name_, name,
                     dtype_name(grad.dtype()), shape_str(grad.shape()), dtype_name(param.dtype()), shape_str(param.shape()));
  return grad;
}

Tensor& Optimizer::buffer(const std::string& name, const Tensor& param, const std::string& key, bool* fresh) {
  Tensor& slot = state_[name][key];
  if (fresh) *fresh = !slot.defined();
  if (!slot.defined()) slot = zeros(param.shape(), param.dtype());
  return slot;
}

StateDict Optimizer::state_dict() const {
  StateDict dict;
  for (const auto& [name, buffers] : state_)
    for (const auto& [key, value] : buffers) dict["state." + name + "." + key] = value.clone_leaf();
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    for (const auto& [key, value] : group_options(g)) dict[fmt::format("param_groups.{}.{}", g, key)] = scalar(value);
  return dict;
}

void Optimizer::load_state_dict(const StateDict& dict) {
  std::map<std::string, const Tensor*> params;
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    for (const auto& [name, param] : group_params(g)) params[name] = &param;

  // Parse everything before touching the optimizer, so a bad dict leaves it as it was.
  std::map<std::string, ParamState> state;
  std::vector<std::map<std::string, double>> options(num_param_groups());
  NoGradGuard no_grad;
  for (const auto& [key, value] : dict) {
    if (key.starts_with("state.")) {
      const std::size_t dot = key.rfind('.');
      const std::string name = key.substr(6, dot == std::string::npos || dot < 6 ? 0 : dot - 6);
      const std::string buffer = key.substr(dot + 1);
      auto it = params.find(name);
      if (name.empty() || it == params.end())
        fail<ValueError>("{}.load_state_dict: {} is state for parameter '{}', which this optimizer does not have",
                         name_, key, name);
      const Tensor& param = *it->second;
      if (value.dim() == 0) {
        state[name][buffer] = value.to(kFloat64).clone_leaf();
        continue;
      }
      if (value.shape() != param.shape())
        fail<ShapeError>("{}.load_state_dict: {} has shape {} but parameter '{}' has shape {}", name_, key,
                         shape_str(value.shape()), name, shape_str(param.shape()));
      state[name][buffer] = value.dtype() == param.dtype() ? value.clone_leaf() : value.to(param.dtype()).clone_leaf();
    } else if (key.starts_with("param_groups.")) {
      std::size_t group = 0;
      const std::size_t dot = key.find('.', 13);
      try {
        group = std::stoul(key.substr(13, dot - 13));
      } catch (const std::exception&) {
        fail<ValueError>("{}.load_state_dict: malformed key {}", name_, key);
      }
      if (dot == std::string::npos || group >= options.size())
        fail<ValueError>("{}.load_state_dict: {} but this optimizer has {} param group(s)", name_, key, options.size());
      options[group][key.substr(dot + 1)] = read_scalar(name_, key, value);
    } else {
      fail<ValueError>("{}.load_state_dict: unknown key {} (expected state.* or param_groups.*)", name_, key);
    }
  }

  std::vector<std::map<std::string, double>> previous;
  for (std::size_t g = 0; g < num_param_groups(); ++g) {
    const auto current = group_options(g);
    previous.emplace_back(current.begin(), current.end());
    for (const auto& [key, value] : options[g])
      if (!previous.back().contains(key))
        fail<ValueError>("{}.load_state_dict: unknown option param_groups.{}.{}", name_, g, key);
  }
  try {
    for (std::size_t g = 0; g < num_param_groups(); ++g) set_group_options(g, options[g]);
  } catch (...) {
    for (std::size_t g = 0; g < previous.size(); ++g) set_group_options(g, previous[g]);
    throw;
  }
  state_ = std::move(state);
}

}  // namespace tg::optim
