#include "nn/rnn_cell.hpp"

#include "autograd/ops.hpp"

#include <cmath>

namespace tg::nn {

namespace {

/// uniform(-1/sqrt(hidden), 1/sqrt(hidden)), PyTorch's init of every recurrent parameter.
Tensor recurrent_init(const Shape& shape, std::size_t hidden_size) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  return rand(shape, TensorOptions().requires_grad(), -bound, bound);
}

}  // namespace

CellWeights register_cell_weights(Module& module, const std::string& suffix, const CellSpec& spec,
                                  std::size_t input_size, std::size_t hidden_size, bool bias, std::size_t proj_size) {
  const std::size_t rows = spec.gates() * hidden_size;
  const std::size_t recurrent = proj_size > 0 ? proj_size : hidden_size;
  CellWeights w;
  w.weight_ih = module.register_parameter("weight_ih" + suffix, recurrent_init({rows, input_size}, hidden_size));
  w.weight_hh = module.register_parameter("weight_hh" + suffix, recurrent_init({rows, recurrent}, hidden_size));
  if (bias) {
    w.bias_ih = module.register_parameter("bias_ih" + suffix, recurrent_init({rows}, hidden_size));
    w.bias_hh = module.register_parameter("bias_hh" + suffix, recurrent_init({rows}, hidden_size));
  }
  if (proj_size > 0)
    w.weight_hr = module.register_parameter("weight_hr" + suffix, recurrent_init({proj_size, hidden_size}, hidden_size));
  return w;
}

// ---- the cell modules ---------------------------------------------------------------------------

RecurrentCell::RecurrentCell(std::string name, CellSpec spec, std::size_t input_size, std::size_t hidden_size,
                             bool bias)
    : Module(name), name_(std::move(name)), spec_(spec), input_size_(input_size), hidden_size_(hidden_size) {
  if (input_size == 0 || hidden_size == 0)
    fail<ValueError>("{}: input_size ({}) and hidden_size ({}) must be positive", name_, input_size, hidden_size);
  weights_ = register_cell_weights(*this, "", spec, input_size, hidden_size, bias);
}

std::string RecurrentCell::who() const {
  return fmt::format("{}(input_size={}, hidden_size={})", name_, input_size_, hidden_size_);
}

RecurrentState RecurrentCell::step(const Tensor& input, const RecurrentState& state) {
  const std::string who = this->who();
  if (!input.defined()) fail<ValueError>("{}: input is an undefined tensor", who);
  if (input.dim() != 1 && input.dim() != 2)
    fail<ShapeError>("{}: input {} must be (batch, {}) or unbatched ({})", who, shape_str(input.shape()),
                     input_size_, input_size_);
  if (input.size(-1) != input_size_)
    fail<ShapeError>("{}: input has {} features at dim {}, expected {}", who, input.size(-1), input.dim() - 1,
                     input_size_);
  const bool unbatched = input.dim() == 1;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const std::size_t n = x.size(0);
  auto prepare = [&](const Tensor& s, const char* what) {
    if (!s.defined()) return zeros({n, hidden_size_}, x.dtype());
    const Shape want = unbatched ? Shape{hidden_size_} : Shape{n, hidden_size_};
    if (s.shape() != want)
      fail<ShapeError>("{}: {} has shape {}, expected {}", who, what, shape_str(s.shape()), shape_str(want));
    return unbatched ? unsqueeze(s, 0) : s;
  };
  RecurrentState s{prepare(state.h, "h"), spec_.kind == CellSpec::Kind::Lstm ? prepare(state.c, "c") : Tensor()};
  auto scope = record_scope();
  RecurrentState out = recurrent_step(spec_, weights_, linear(x, weights_.weight_ih, weights_.bias_ih), s);
  if (unbatched) {
    out.h = squeeze(out.h, 0);
    if (out.c.defined()) out.c = squeeze(out.c, 0);
  }
  return out;
}

std::string RecurrentCell::extra_repr() const {
  const bool relu = spec_.kind == CellSpec::Kind::Rnn && spec_.nonlinearity == RnnNonlinearity::Relu;
  return fmt::format("{}, {}{}{}{}", input_size_, hidden_size_, weights_.bias_ih.defined() ? "" : ", bias=false",
                     relu ? ", nonlinearity=relu" : "",
                     spec_.kind == CellSpec::Kind::Gru && !spec_.reset_after ? ", reset_after=false" : "");
}

RNNCell::RNNCell(const RNNCellOptions& o)
    : RecurrentCell("RNNCell", {CellSpec::Kind::Rnn, o.nonlinearity_, true}, o.input_size_, o.hidden_size_,
                    o.bias_) {}

Tensor RNNCell::forward(const Tensor& input, const Tensor& h) { return step(input, {h, Tensor()}).h; }

LSTMCell::LSTMCell(const LSTMCellOptions& o)
    : RecurrentCell("LSTMCell", {CellSpec::Kind::Lstm}, o.input_size_, o.hidden_size_, o.bias_) {}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::optional<RecurrentState>& state) {
  RecurrentState out = step(input, state.value_or(RecurrentState{}));
  return {out.h, out.c};
}

GRUCell::GRUCell(const GRUCellOptions& o)
    : RecurrentCell("GRUCell", {CellSpec::Kind::Gru, RnnNonlinearity::Tanh, o.reset_after_}, o.input_size_,
                    o.hidden_size_, o.bias_) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& h) { return step(input, {h, Tensor()}).h; }

}  // namespace tg::nn
