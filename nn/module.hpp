#pragma once
// The Module base: parameters, buffers and submodules registered by name, as PyTorch's nn.Module.
#include "autograd/graph.hpp"
#include "autograd/io/npz.hpp"
#include "autograd/tensor.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tg::nn {

/// Base of every layer and model. A subclass registers its tensors and submodules by name in its
/// constructor and keeps the returned handles for its forward:
///
///     struct Tagger : tg::nn::Module {
///       Tagger() : Module("Tagger") {
///         embed = register_module("embed", std::make_shared<tg::nn::Embedding>(1000, 64));
///         out = register_module("out", std::make_shared<tg::nn::Linear>(64, 10));
///       }
///       tg::Tensor forward(const tg::IndexArray& ids) {
///         auto scope = record_scope();  // names this module in anomaly messages
///         return out->forward(embed->forward(ids));
///       }
///       std::shared_ptr<tg::nn::Embedding> embed;
///       std::shared_ptr<tg::nn::Linear> out;
///     };
///     auto model = std::make_shared<Tagger>();
///     model->named_parameters();  // {"embed.weight", ...}, {"out.weight", ...}, {"out.bias", ...}
///     model->save("tagger.npz");
///
/// Names follow PyTorch, so a PyTorch state dict saved with numpy.savez loads with load().
/// Modules are held by plain std::shared_ptr and are not copyable.
class Module {
 public:
  /// `type_name` is what the printout shows ("Linear").
  explicit Module(std::string type_name);
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- registration ------------------------------------------------------------------------
  /// Adds a trainable tensor (made a leaf that requires grad) and returns its handle.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  /// Adds a tensor saved in the state dict but not trained (running statistics, masks).
  Tensor register_buffer(const std::string& name, Tensor tensor);
  /// Adds a submodule; its names are prefixed with `name.`.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- traversal (registration order, dotted names) -----------------------------------------
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  /// Direct submodules.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  std::vector<std::shared_ptr<Module>> children() const;
  /// This module (named "") and all below it, depth first. The entry for this module does not own
  /// it (it may not be held by a shared_ptr at all).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();
  /// Total number of parameter elements.
  std::size_t num_parameters() const;

  // ---- state ---------------------------------------------------------------------------------
  /// Training mode (dropout active) for this module and all below it.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  /// Converts parameters and buffers to `dtype` in place: the same Tensor handles (held by layers
  /// and optimizers) see the new values. Gradients are converted too.
  void to(Dtype dtype);

  /// Parameters and buffers by dotted name. The tensors share their values with the module.
  StateDict state_dict() const;
  /// Copies values from `state` into this module's tensors (converting to their dtype). Strict: every
  /// key must match and nothing may be left over; all problems are reported in one ValueError.
  /// Shape mismatches throw ShapeError even when not strict. Nothing is changed if anything throws.
  void load_state_dict(const StateDict& state, bool strict = true);
  /// state_dict() to an .npz file, and back. load's errors name the file; an integer array in the
  /// file for one of the module's (float) tensors is a DtypeError, not a silent conversion.
  void save(const std::string& path) const;
  void load(const std::string& path, bool strict = true);

  /// The module tree, as PyTorch prints it, with parameter shapes and the total count:
  ///     Tagger(
  ///       (embed): Embedding(1000, 64)  {weight [1000, 64]}
  ///       (out): Linear(in_features=64, out_features=10, bias=true)  {weight [10, 64], bias [10]}
  ///     )  # 64650 parameters
  std::string str() const;
  const std::string& type_name() const { return type_name_; }
  /// "Linear(in_features=3, out_features=4, bias=true)": how error messages name a module.
  std::string describe() const { return type_name_ + "(" + extra_repr() + ")"; }
  /// The name this module was registered under in its parent ("" for a root).
  const std::string& name() const { return name_; }

 protected:
  /// The settings shown in the printout between the parentheses: "in_features=3, out_features=4".
  virtual std::string extra_repr() const { return ""; }
  /// Opens a RecordScope named after this module for the rest of a forward: every node recorded
  /// meanwhile carries the module path ("encoder.rnn") into anomaly messages.
  [[nodiscard]] RecordScope record_scope() const { return RecordScope(name_.empty() ? type_name_ : name_); }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void visit_tensors(const std::string& prefix, bool recurse, bool want_parameters, bool want_buffers,
                     std::vector<std::pair<std::string, Tensor>>& out) const;
  void print(std::string& out, std::size_t indent) const;
  /// load_state_dict, its errors starting with `where` ("Net::load('net.npz')").
  void apply_state_dict(const StateDict& state, bool strict, const std::string& where);

  std::string type_name_;
  std::string name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace tg::nn
