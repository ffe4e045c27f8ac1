#include "nn/rnn.hpp"

#include "autograd/ops.hpp"

#include <algorithm>
#include <cmath>

namespace tg::nn {

namespace {

void check_lengths_shape(const Shape& shape) {
  if (shape.size() != 1) fail<ShapeError>("nn::Lengths: lengths of shape {} must be 1-D (one per sequence)", shape_str(shape));
}

}  // namespace

Lengths::Lengths(const IndexArray& v) : values(v.begin(), v.end()) {
  check_lengths_shape(Shape(v.shape().begin(), v.shape().end()));
}

Lengths::Lengths(const Tensor& t) {
  check_lengths_shape(t.shape());
  visit_dtype(t.dtype(), [&]<class T>() {
    for (const T v : t.data<T>()) {
      // Beyond 2^62 no sequence is that long, and the conversion below would overflow.
      if (!(v == std::floor(v) && std::abs(v) < T(0x1p62)))
        fail<ValueError>("nn::Lengths: lengths[{}] = {} is not a length (a whole number of steps)", values.size(), v);
      values.push_back(static_cast<Index>(v));
    }
  });
}

namespace {

/// The outputs, h_n and (LSTM) c_n of one direction, taken apart from a sequence op's packed
/// (L + 1 or 2, N, H) result.
Unrolled unpack(const Tensor& packed, std::size_t steps) {
  RecurrentState final{select(packed, 0, steps), packed.size(0) > steps + 1 ? select(packed, 0, steps + 1) : Tensor()};
  return {narrow(packed, 0, 0, steps), final};
}

/// One direction's operands: the layer input x with W_ih and b_ih, so that the sequence op computes
/// the input projection itself and keeps it only for its forward.
SequenceOperands operands_of(const CellWeights& w, const Tensor& x, const RecurrentState& state) {
  return {Tensor(), state.h, state.c, w.weight_hh, w.bias_hh, x, w.weight_ih, w.bias_ih};
}

/// The whole sequence as one op (autograd/rnn_ops.hpp).
Unrolled unroll_sequence(const CellSpec& spec, const CellWeights& w, const Tensor& x, const RecurrentState& state,
                         const std::vector<std::size_t>& lengths, bool reverse) {
  const SequenceOperands operands = operands_of(w, x, state);
  Tensor packed;
  switch (spec.kind) {
    case CellSpec::Kind::Rnn: packed = rnn_sequence(operands, spec.nonlinearity, lengths, reverse); break;
    case CellSpec::Kind::Lstm: packed = lstm_sequence(operands, lengths, reverse); break;
    case CellSpec::Kind::Gru: packed = gru_sequence(operands, spec.reset_after, lengths, reverse); break;
  }
  return unpack(packed, x.size(0));
}

/// Both directions of a layer as one op, which runs them in parallel when threads allow.
std::vector<Unrolled> unroll_bidirectional(const CellSpec& spec, const CellWeights& forward_weights,
                                           const CellWeights& reverse_weights, const Tensor& x,
                                           const RecurrentState& forward_state, const RecurrentState& reverse_state,
                                           const std::vector<std::size_t>& lengths) {
  const SequenceOperands f = operands_of(forward_weights, x, forward_state);
  const SequenceOperands r = operands_of(reverse_weights, x, reverse_state);
  Tensor packed;
  switch (spec.kind) {
    case CellSpec::Kind::Rnn: packed = rnn_bidirectional(f, r, spec.nonlinearity, lengths); break;
    case CellSpec::Kind::Lstm: packed = lstm_bidirectional(f, r, lengths); break;
    case CellSpec::Kind::Gru: packed = gru_bidirectional(f, r, spec.reset_after, lengths); break;
  }
  const std::size_t steps = x.size(0);
  return {unpack(select(packed, 0, 0), steps), unpack(select(packed, 0, 1), steps)};
}

/// One cell op per step; kept for projected LSTMs, whose recurrent input (the projection of y)
/// the sequence op does not compute.
Unrolled unroll_steps(const CellSpec& spec, const CellWeights& weights, const Tensor& gates_x, RecurrentState state,
                      const std::vector<std::size_t>& lengths, bool reverse) {
  const std::size_t steps = gates_x.size(0), batch = gates_x.size(1);
  std::vector<Tensor> outputs(steps);
  for (std::size_t k = 0; k < steps; ++k) {
    const std::size_t t = reverse ? steps - 1 - k : k;
    Mask valid = Mask::from_shape({batch, 1});
    std::size_t n_valid = batch;
    if (!lengths.empty()) {
      for (std::size_t b = 0; b < batch; ++b) valid(b, 0) = lengths[b] > t;
      n_valid = static_cast<std::size_t>(std::count(valid.begin(), valid.end(), true));
    }
    if (n_valid == 0) {  // every sequence has ended (or, reversed, not yet begun): nothing to compute
      outputs[t] = zeros_like(state.h);
      continue;
    }
    RecurrentState next = cell_step(spec, weights, select(gates_x, 0, t), state);
    if (n_valid == batch) {
      state = next;
      outputs[t] = next.h;
      continue;
    }
    // Sequences past their end keep their state and output zero, so that neither the result nor the
    // gradient depends on the padding.
    outputs[t] = tg::where(valid, next.h, zeros_like(next.h));
    state.h = tg::where(valid, next.h, state.h);
    if (next.c.defined()) state.c = tg::where(valid, next.c, state.c);
  }
  return {stack(outputs, 0), state};
}

}  // namespace

Unrolled unroll(const CellSpec& spec, const CellWeights& weights, const Tensor& x, RecurrentState state,
                const std::vector<std::size_t>& lengths, bool reverse) {
  if (!weights.weight_hr.defined()) return unroll_sequence(spec, weights, x, state, lengths, reverse);
  // The input half of every gate at every step: one GEMM over (L * N) rows.
  const Tensor gates_x = linear(x, weights.weight_ih, weights.bias_ih);
  return unroll_steps(spec, weights, gates_x, std::move(state), lengths, reverse);
}

// ---- RecurrentLayer -----------------------------------------------------------------------------

RecurrentLayer::RecurrentLayer(const char* name, CellSpec spec, std::size_t input_size, std::size_t hidden_size,
                               std::size_t num_layers, bool bias, bool batch_first, bool bidirectional,
                               double dropout, std::size_t proj_size)
    : Module(name), name_(name), spec_(spec), input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers),
      proj_size_(proj_size), batch_first_(batch_first), bidirectional_(bidirectional), dropout_(dropout) {
  if (input_size == 0 || hidden_size == 0 || num_layers == 0)
    fail<ValueError>("{}: input_size ({}), hidden_size ({}) and num_layers ({}) must be positive", describe(),
                     input_size, hidden_size, num_layers);
  if (!(dropout >= 0 && dropout <= 1)) fail<ValueError>("{}: dropout {} is not in [0, 1]", describe(), dropout);
  if (proj_size >= hidden_size && proj_size > 0)
    fail<ValueError>("{}: proj_size ({}) must be smaller than hidden_size ({})", describe(), proj_size, hidden_size);
  for (std::size_t layer = 0; layer < num_layers; ++layer)
    for (std::size_t direction = 0; direction < num_directions(); ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction ? "_reverse" : "");
      const std::size_t in = layer == 0 ? input_size : num_directions() * output_size();
      weights_.push_back(register_cell_weights(*this, suffix, spec, in, hidden_size, bias, proj_size));
    }
}

std::string RecurrentLayer::describe() const {
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
    fail<ShapeError>("{}: {} has shape {}, expected {} (num_directions * num_layers, batch, {})", describe(), what,
                     shape_str(given.shape()), shape_str(want), width);
  if (given.dtype() != dtype)
    fail<DtypeError>("{}: {} is {} but the input is {}", describe(), what, dtype_name(given.dtype()),
                     dtype_name(dtype));
  return given;
}

std::vector<std::size_t> RecurrentLayer::checked_lengths(const Lengths& lengths, std::size_t seq_len,
                                                         std::size_t batch) const {
  if (lengths.empty()) return {};
  if (lengths.values.size() != batch)
    fail<ValueError>("{}: {} lengths for a batch of {}", describe(), lengths.values.size(), batch);
  std::vector<std::size_t> out;
  for (std::size_t b = 0; b < batch; ++b) {
    const Index l = lengths.values[b];
    if (l < 1 || static_cast<std::size_t>(l) > seq_len)
      fail<ValueError>("{}: lengths[{}] = {} is outside [1, {}] (the input has {} steps)", describe(), b, l, seq_len,
                       seq_len);
    out.push_back(static_cast<std::size_t>(l));
  }
  return out;
}

RecurrentOutput RecurrentLayer::forward(const Tensor& input, const RecurrentState& initial, const Lengths& lengths) {
  if (!input.defined()) fail<ValueError>("{}: input is an undefined tensor", describe());
  if (input.dim() != 3)
    fail<ShapeError>("{}: input {} must have 3 dimensions ({})", describe(), shape_str(input.shape()),
                     batch_first_ ? "batch, seq, features" : "seq, batch, features");
  if (input.size(2) != input_size_)
    fail<ShapeError>("{}: input has {} features at dim 2, expected {}", describe(), input.size(2), input_size_);
  const Dtype dtype = weights_[0].weight_ih.dtype();
  if (input.dtype() != dtype)
    fail<DtypeError>("{}: input is {} but the parameters are {}", describe(), dtype_name(input.dtype()),
                     dtype_name(dtype));
  const bool lstm = spec_.kind == CellSpec::Kind::Lstm;
  if (initial.c.defined() && !lstm) fail<ValueError>("{}: got an initial c, which only an LSTM has", describe());

  auto scope = record_scope();
  const Tensor x = batch_first_ ? transpose(input, 0, 1) : input;  // (L, N, features) from here on
  const std::size_t steps = x.size(0), batch = x.size(1);
  if (steps == 0)
    fail<ValueError>("{}: input {} has 0 time steps; a sequence needs at least one", describe(),
                     shape_str(input.shape()));
  const std::vector<std::size_t> lens = checked_lengths(lengths, steps, batch);
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
    std::vector<Unrolled> runs;
    if (bidirectional_ && proj_size_ == 0) {
      runs = unroll_bidirectional(spec_, w[0], w[1], layer_input, states[0], states[1], lens);
    } else {
      for (std::size_t direction = 0; direction < states.size(); ++direction)
        runs.push_back(unroll(spec_, w[direction], layer_input, states[direction], lens, direction == 1));
    }
    std::vector<Tensor> outputs;
    for (const Unrolled& run : runs) {
      outputs.push_back(run.output);
      h_n.push_back(run.final.h);
      if (lstm) c_n.push_back(run.final.c);
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
