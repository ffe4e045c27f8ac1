#include "nn/module.hpp"

#include <algorithm>
#include <ostream>
#include <set>

namespace tg::nn {

namespace {

/// A copy of `value`'s array converted to `dtype`.
Value converted(const Value& value, Dtype dtype) {
  return std::visit(
      [&]<class A>(const A& array) -> Value {
        if constexpr (std::is_same_v<A, std::monostate>) {
          return array;
        } else {
          return visit_dtype(dtype, [&]<class T>() -> Value { return xt::xarray<T>(xt::cast<T>(array)); });
        }
      },
      value);
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

}  // namespace

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

void Module::check_new_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos)
    fail<ValueError>("{}::register_{}: name '{}' must be non-empty and contain no '.'", type_name_, what, name);
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.first == name; });
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_))
    fail<ValueError>("{}::register_{}: name '{}' is already registered", type_name_, what, name);
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (!tensor.defined()) fail<ValueError>("{}::register_parameter: '{}' is an undefined tensor", type_name_, name);
  if (!tensor.is_leaf()) tensor = tensor.detach();  // a parameter has no history
  tensor.requires_grad_(requires_grad);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name, "buffer");
  if (!tensor.defined()) fail<ValueError>("{}::register_buffer: '{}' is an undefined tensor", type_name_, name);
  buffers_.emplace_back(name, tensor);
  return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  if (!module) fail<ValueError>("{}::register_module: '{}' is null", type_name_, name);
  module->name_ = name;
  children_.emplace_back(name, std::move(module));
}

void Module::visit_tensors(const std::string& prefix, bool recurse, bool want_parameters, bool want_buffers,
                           std::vector<std::pair<std::string, Tensor>>& out) const {
  if (want_parameters)
    for (const auto& [name, t] : parameters_) out.emplace_back(join_name(prefix, name), t);
  if (want_buffers)
    for (const auto& [name, t] : buffers_) out.emplace_back(join_name(prefix, name), t);
  if (recurse)
    for (const auto& [name, child] : children_)
      child->visit_tensors(join_name(prefix, name), true, want_parameters, want_buffers, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_tensors("", recurse, true, false, out);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_tensors("", recurse, false, true, out);
  return out;
}

namespace {
std::vector<Tensor> values_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<Tensor> out;
  for (const auto& entry : named) out.push_back(entry.second);
  return out;
}
}  // namespace

std::vector<Tensor> Module::parameters(bool recurse) const { return values_of(named_parameters(recurse)); }
std::vector<Tensor> Module::buffers(bool recurse) const { return values_of(named_buffers(recurse)); }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& entry : children_) out.push_back(entry.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  // Aliasing constructor with no owner: a pointer to this module that does not keep it alive.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out{{"", std::shared_ptr<Module>(std::shared_ptr<Module>(), this)}};
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> stack(children_.rbegin(), children_.rend());
  while (!stack.empty()) {
    auto entry = std::move(stack.back());
    stack.pop_back();
    const auto& grandchildren = entry.second->children_;
    for (auto it = grandchildren.rbegin(); it != grandchildren.rend(); ++it)
      stack.emplace_back(join_name(entry.first, it->first), it->second);
    out.push_back(std::move(entry));
  }
  return out;
}

std::size_t Module::num_parameters() const {
  std::size_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (const auto& [name, t] : named_parameters()) t.zero_grad();
}

void Module::to(Dtype dtype) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  visit_tensors("", true, true, true, tensors);
  for (auto& [name, t] : tensors) {
    if (t.dtype() == dtype) continue;
    TensorImpl& impl = t.impl();
    impl.value = converted(impl.value, dtype);
    if (impl.grad) impl.grad->value = converted(impl.grad->value, dtype);
  }
}

StateDict Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> tensors;
  visit_tensors("", true, true, true, tensors);
  return StateDict(tensors.begin(), tensors.end());
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  apply_state_dict(state, strict, type_name_ + "::load_state_dict");
}

void Module::apply_state_dict(const StateDict& state, bool strict, const std::string& where) {
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) missing.push_back(name);
    else if (!it->second.defined() || it->second.shape() != t.shape())
      mismatched.push_back(fmt::format("{}: expected {}, got {}", name, shape_str(t.shape()),
                                       it->second.defined() ? shape_str(it->second.shape()) : "undefined"));
  }
  for (const auto& [name, t] : state)
    if (!own.contains(name)) unexpected.push_back(name);

  std::string problems;
  auto report = [&](const char* what, const std::vector<std::string>& names) {
    if (!names.empty()) problems += fmt::format("; {}: {}", what, fmt::join(names, ", "));
  };
  report("shape mismatch", mismatched);
  if (strict) {
    report("missing keys", missing);
    report("unexpected keys", unexpected);
  }
  if (!problems.empty()) {
    const std::string message = fmt::format("{}: {}", where, problems.substr(2));  // without the first "; "
    if (!mismatched.empty()) throw ShapeError(message);
    throw ValueError(message);
  }

  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    t.impl().value = converted(it->second.impl().value, t.dtype());
  }
}

void Module::save(const std::string& path) const { save_npz(path, state_dict()); }

void Module::load(const std::string& path, bool strict) {
  const std::string where = fmt::format("{}::load('{}')", type_name_, path);
  NpzArrays file = load_npz_arrays(path);
  const StateDict own = state_dict();
  for (const auto& [key, integers] : file.integers) {
    if (const auto it = own.find(key); it != own.end())
      fail<DtypeError>("{}: '{}' is an integer array in the file, but the module's tensor is {}", where, key,
                       dtype_name(it->second.dtype()));
    file.tensors.emplace(key, Tensor());  // not ours: only its name matters, as an unexpected key
  }
  apply_state_dict(file.tensors, strict, where);
}

void Module::print(std::string& out, std::size_t indent) const {
  const std::string extra = extra_repr();
  if (children_.empty()) {
    out += type_name_ + "(" + extra + ")";
  } else {
    // As PyTorch: the settings on their own line above the children.
    out += type_name_ + "(\n";
    if (!extra.empty()) out += std::string(indent + 2, ' ') + extra + "\n";
    for (const auto& [name, child] : children_) {
      out += std::string(indent + 2, ' ') + "(" + name + "): ";
      child->print(out, indent + 2);
      out += "\n";
    }
    out += std::string(indent, ' ') + ")";
  }
  if (!parameters_.empty()) {
    std::vector<std::string> shapes;
    for (const auto& [name, t] : parameters_) shapes.push_back(name + " " + shape_str(t.shape()));
    out += fmt::format("  {{{}}}", fmt::join(shapes, ", "));
  }
}

std::string Module::str() const {
  std::string out;
  print(out, 0);
  const std::size_t n = num_parameters();
  out += fmt::format("  # {} parameter{}", n, n == 1 ? "" : "s");
  return out;
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.str(); }

}  // namespace tg::nn
