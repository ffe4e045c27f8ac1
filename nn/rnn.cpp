#include "nn/rnn.hpp"

#include "autograd/ops.hpp"

#include <algorithm>
#include <cmath>

namespace tg::nn {

namespace {

void check_lengths_shape(const Shape& shape) {
  if (shape.size() != 1) fail<ShapeError>("nn::Lengths: lengths of shape {} must be 1-D (one per sequence)", shape_str(shape));
}

template <class Range>
std::vector<std::size_t> non_negative(const Range& given) {
  std::vector<std::size_t> out;
  for (const Index l : given) {
    if (l < 0) fail<ValueError>("nn::Lengths: lengths[{}] = {} is negative", out.size(), l);
    out.push_back(static_cast<std::size_t>(l));
  }
  return out;
}

}  // namespace

Lengths::Lengths(std::initializer_list<Index> v) : values(non_negative(v)) {}

Lengths::Lengths(const IndexArray& v) {
  check_lengths_shape(Shape(v.shape().begin(), v.shape().end()));
  values = non_negative(v);
}

Lengths::Lengths(const Tensor& t) {
  check_lengths_shape(t.shape());
  visit_dtype(t.dtype(), [&]<class T>() {
    for (const T v : t.data<T>()) {
      // Beyond 2^62 no sequence is that long, and the conversion below would overflow.
      if (!(v == std::floor(v) && v >= 0 && v < T(0x1p62)))
        fail<ValueError>("nn::Lengths: lengths[{}] = {} is not a length (a whole number of steps)", values.size(), v);
      values.push_back(static_cast<std::size_t>(v));
    }
  });
}

// ---- RecurrentLayer -----------------------------------------------------------------------------

RecurrentLayer::RecurrentLayer(const char* name, CellSpec spec, std::size_t input_size, std::size_t hidden_size,
                               std::size_t num_layers, bool bias, bool batch_first, bool bidirectional,
                               double dropout, std::size_t proj_size)
    : Module(name), name_(name), spec_(spec), input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers),
      proj_size_(proj_size), batch_first_(batch_first), bidirectional_(bidirectional), dropout_(dropout) {
  if (input_size == 0 || hidden_size == 0 || num_layers == 0)
    fail<ValueError>("{}: input_size ({}), hidden_size ({}) and num_layers ({}) must be positive", who(),
                     input_size, hidden_size, num_layers);
  if (!(dropout >= 0 && dropout <= 1)) fail<ValueError>("{}: dropout {} is not in [0, 1]", who(), dropout);
  if (proj_size >= hidden_size && proj_size > 0)
    fail<ValueError>("{}: proj_size ({}) must be smaller than hidden_size ({})", who(), proj_size, hidden_size);
  for (std::size_t layer = 0; layer < num_layers; ++layer)
    for (std::size_t direction = 0; direction < num_directions(); ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction ? "_reverse" : "");
      const std::size_t in = layer == 0 ? input_size : num_directions() * output_size();
      weights_.push_back(register_cell_weights(*this, suffix, spec, in, hidden_size, bias, proj_size));
    }
}

std::string RecurrentLayer::who() const {
  return fmt::format("{}(input_size={}, hidden_size={})", name_, input_size_, hidden_size_);
}

std::string RecurrentLayer::extra_repr() const {
  std::string out = fmt::format("{}, {}", input_size_, hidden_size_);
  if (num_layers_ != 1) out += fmt::format(", num_layers={}", num_layers_);
  if (spec_.kind == CellSpec::Kind::Rnn && spec_.nonlinearity == RnnNonlinearity::Relu) out += ", nonlinearity=relu";
  if (!weights_[0].bias_ih.defined()) out += ", bias=false";
  if (batch_first_) out += ", batch_first=true";
  if (dropout_ > 0) out += fmt::format(", dropout={}", dropout_);
  if (bidirectional_) out += ", bidirectional=true";
  if (proj_size_ > 0) out += fmt::format(", proj_size={}", proj_size_);
  if (spec_.kind == CellSpec::Kind::Gru && !spec_.reset_after) out += ", reset_after=false";
  return out;
}

Tensor RecurrentLayer::initial_state(const Tensor& given, const char* what, std::size_t width, std::size_t batch,
                                     Dtype dtype) const {
  if (!given.defined()) return given;
  const Shape want{num_directions() * num_layers_, batch, width};
  if (given.shape() != want)
    fail<ShapeError>("{}: {} has shape {}, expected {} (num_directions * num_layers, batch, {})", who(), what,
                     shape_str(given.shape()), shape_str(want), width);
  if (given.dtype() != dtype)
    fail<DtypeError>("{}: {} is {} but the input is {}", who(), what, dtype_name(given.dtype()),
                     dtype_name(dtype));
  return given;
}

RecurrentOutput RecurrentLayer::forward(const Tensor& input, const RecurrentState& initial, const Lengths& lengths) {
  if (!input.defined()) fail<ValueError>("{}: input is an undefined tensor", who());
  if (input.dim() != 3)
    fail<ShapeError>("{}: input {} must have 3 dimensions ({})", who(), shape_str(input.shape()),
                     batch_first_ ? "batch, seq, features" : "seq, batch, features");
  if (input.size(2) != input_size_)
    fail<ShapeError>("{}: input has {} features at dim 2, expected {}", who(), input.size(2), input_size_);
  const Dtype dtype = weights_[0].weight_ih.dtype();
  if (input.dtype() != dtype)
    fail<DtypeError>("{}: input is {} but the parameters are {}", who(), dtype_name(input.dtype()),
                     dtype_name(dtype));
  const bool lstm = spec_.kind == CellSpec::Kind::Lstm;
  if (initial.c.defined() && !lstm) fail<ValueError>("{}: got an initial c, which only an LSTM has", who());

  auto scope = record_scope();
  const Tensor x = batch_first_ ? transpose(input, 0, 1) : input;  // (L, N, features) from here on
  const std::size_t steps = x.size(0), batch = x.size(1);
  if (steps == 0)
    fail<ValueError>("{}: input {} has 0 time steps; a sequence needs at least one", who(),
                     shape_str(input.shape()));
  check_lengths(who(), lengths.values, steps, batch);
  const Tensor h0 = initial_state(initial.h, "h0", output_size(), batch, dtype);
  const Tensor c0 = initial_state(initial.c, "c0", hidden_size_, batch, dtype);
  auto start = [&](const Tensor& given, std::size_t index, std::size_t width) {
    return given.defined() ? select(given, 0, index) : zeros({batch, width}, dtype);
  };

  std::vector<Tensor> h_n, c_n;
  Tensor layer_input = x;
  for (std::size_t layer = 0; layer < num_layers_; ++layer) {
    std::vector<RecurrentState> states;
    for (std::size_t direction = 0; direction < num_directions(); ++direction) {
      const std::size_t index = layer * num_directions() + direction;
      states.push_back({start(h0, index, output_size()), lstm ? start(c0, index, hidden_size_) : Tensor()});
    }
    const CellWeights* w = &weights_[layer * num_directions()];
    auto operands = [&](std::size_t direction) {
      return SequenceOperands{.x = layer_input, .h0 = states[direction].h, .c0 = states[direction].c,
                              .weights = w[direction]};
    };
    std::vector<SequenceOutput> runs;
    if (bidirectional_) {
      auto both = recurrent_sequence(spec_, operands(0), operands(1), lengths.values);
      runs = {both[0], both[1]};
    } else {
      runs = {recurrent_sequence(spec_, operands(0), lengths.values)};
    }
    std::vector<Tensor> outputs;
    for (const SequenceOutput& run : runs) {
      outputs.push_back(run.output);
      h_n.push_back(run.h_n);
      if (lstm) c_n.push_back(run.c_n);
    }
    layer_input = outputs.size() == 1 ? outputs[0] : concat(outputs, 2);
    if (dropout_ > 0 && is_training() && layer + 1 < num_layers_) layer_input = dropout(layer_input, dropout_, true);
  }
  return {batch_first_ ? transpose(layer_input, 0, 1) : layer_input, stack(h_n, 0),
          lstm ? stack(c_n, 0) : Tensor()};
}

RNN::RNN(const RNNOptions& o) : RecurrentLayer("RNN", {CellSpec::Kind::Rnn, o.nonlinearity_, true}, o) {}

LSTM::LSTM(const LSTMOptions& o) : RecurrentLayer("LSTM", {CellSpec::Kind::Lstm}, o, o.proj_size_) {}

GRU::GRU(const GRUOptions& o)
    : RecurrentLayer("GRU", {CellSpec::Kind::Gru, RnnNonlinearity::Tanh, o.reset_after_}, o) {}

}  // namespace tg::nn
