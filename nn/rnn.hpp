#pragma once
// Multi-layer, optionally bidirectional recurrent layers over whole sequences, as PyTorch's nn.RNN,
// nn.LSTM and nn.GRU: same options, parameter names (weight_ih_l0, weight_hh_l1_reverse,
// weight_hr_l0...), shapes, default init, input and output layouts. RecurrentLayer stacks layers
// and directions; each layer is one op (tg::recurrent_sequence of autograd/ops/rnn/recurrent.hpp)
// for one direction or both, which computes the input projection of every step as one GEMM.
// Variable-length batches need no packing: pass the lengths, and padded positions neither change
// the result nor receive gradient (see RecurrentLayer::forward).
#include "nn/rnn_cell.hpp"

#include <vector>

namespace tg::nn {

/// Per-sequence lengths of a padded batch: from a std::vector, braces `{5, 3, 1}`, a 1-D IndexArray
/// (as `load_npz_arrays(path).integer("lengths")` reads it) or a 1-D tensor of whole numbers (as
/// pack_padded_sequence takes them). Negative or fractional values are refused here; the layer
/// checks the rest (each in [1, L], one per sequence, tg::check_lengths) and names itself.
struct Lengths {
  std::vector<std::size_t> values;  // empty: every sequence spans the whole input
  Lengths() = default;
  Lengths(const std::vector<std::size_t>& v) : values(v) {}  // NOLINT: implicit on purpose
  Lengths(std::initializer_list<Index> v);                   // NOLINT
  Lengths(const IndexArray& v);                              // NOLINT
  Lengths(const Tensor& t);                                  // NOLINT
  bool empty() const { return values.empty(); }
};

/// Settings shared by RNN, LSTM and GRU, with fluent setters returning the derived options.
template <class Derived>
struct RecurrentOptionsBase {
  std::size_t input_size_ = 0, hidden_size_ = 0, num_layers_ = 1;
  bool bias_ = true, batch_first_ = false, bidirectional_ = false;
  double dropout_ = 0;  // between layers, in training only

  RecurrentOptionsBase(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  Derived& num_layers(std::size_t v) { num_layers_ = v; return self(); }
  Derived& bias(bool v) { bias_ = v; return self(); }
  /// Input and output as (N, L, features) instead of (L, N, features); states stay (D*layers, N, H).
  Derived& batch_first(bool v) { batch_first_ = v; return self(); }
  Derived& bidirectional(bool v) { bidirectional_ = v; return self(); }
  Derived& dropout(double p) { dropout_ = p; return self(); }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

struct RNNOptions : RecurrentOptionsBase<RNNOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
  RnnNonlinearity nonlinearity_ = RnnNonlinearity::Tanh;
  RNNOptions& nonlinearity(RnnNonlinearity n) { nonlinearity_ = n; return *this; }
};
struct LSTMOptions : RecurrentOptionsBase<LSTMOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
  std::size_t proj_size_ = 0;
  /// h is projected to proj_size by weight_hr_l<k> (PyTorch's LSTM with projections); 0 = none.
  LSTMOptions& proj_size(std::size_t p) { proj_size_ = p; return *this; }
};
struct GRUOptions : RecurrentOptionsBase<GRUOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
  bool reset_after_ = true;
  /// false: the paper's n = tanh(W_in x + b_in + W_hn (r * h) + b_hn) (not PyTorch's form).
  GRUOptions& reset_after(bool on) { reset_after_ = on; return *this; }
};

/// What a recurrent layer returns: output (L, N, D*H_out) (or (N, L, D*H_out) batch_first),
/// h_n (D*num_layers, N, H_out), and c_n (D*num_layers, N, H) for an LSTM (undefined otherwise).
/// h_n and c_n are ordered layer by layer, forward before reverse, as PyTorch's.
struct RecurrentOutput {
  Tensor output, h_n, c_n;
};

/// The stacked, bidirectional layer behind RNN, LSTM and GRU.
class RecurrentLayer : public Module {
 public:
  /// input (L, N, H_in) or batch_first (N, L, H_in). `initial` holds h0 (D*num_layers, N, H_out)
  /// and, for an LSTM, c0 (D*num_layers, N, H); undefined ones start at zero. With `lengths`,
  /// sequence b uses steps [0, lengths[b]) only: its output is zero beyond, h_n / c_n hold its
  /// state at its last valid step, the reverse direction starts there, and padded inputs get no
  /// gradient. Lengths must be in [1, L].
  RecurrentOutput forward(const Tensor& input, const RecurrentState& initial = {}, const Lengths& lengths = {});

  std::size_t input_size() const { return input_size_; }
  std::size_t hidden_size() const { return hidden_size_; }
  std::size_t num_layers() const { return num_layers_; }
  std::size_t num_directions() const { return bidirectional_ ? 2 : 1; }
  /// h's width: proj_size when an LSTM projects, else hidden_size.
  std::size_t output_size() const { return proj_size_ > 0 ? proj_size_ : hidden_size_; }
  /// The parameters of layer `layer`, direction `direction` (0 forward, 1 reverse).
  const CellWeights& weights(std::size_t layer, std::size_t direction) const {
    return weights_[layer * num_directions() + direction];
  }

 protected:
  /// The printout's settings, as PyTorch's: "4, 5, num_layers=2, bidirectional=true".
  std::string extra_repr() const override;
  template <class Options>
  RecurrentLayer(const char* name, CellSpec spec, const Options& o, std::size_t proj_size = 0)
      : RecurrentLayer(name, spec, o.input_size_, o.hidden_size_, o.num_layers_, o.bias_, o.batch_first_,
                       o.bidirectional_, o.dropout_, proj_size) {}

 private:
  RecurrentLayer(const char* name, CellSpec spec, std::size_t input_size, std::size_t hidden_size,
                 std::size_t num_layers, bool bias, bool batch_first, bool bidirectional, double dropout,
                 std::size_t proj_size);
  /// "LSTM(input_size=4, hidden_size=8)": how errors name the layer (describe() prints every option).
  std::string who() const;
  Tensor initial_state(const Tensor& given, const char* what, std::size_t width, std::size_t batch, Dtype dtype) const;

  const char* name_;
  CellSpec spec_;
  std::size_t input_size_, hidden_size_, num_layers_, proj_size_;
  bool batch_first_, bidirectional_;
  double dropout_;
  std::vector<CellWeights> weights_;  // layer-major, forward then reverse
};

/// Elman RNN, as torch.nn.RNN.
///
///     auto rnn = std::make_shared<tg::nn::RNN>(tg::nn::RNNOptions(8, 16).num_layers(2));
///     auto [output, h_n, c_n] = rnn->forward(x);   // x (L, N, 8): output (L, N, 16), h_n (2, N, 16)
class RNN : public RecurrentLayer {
 public:
  explicit RNN(const RNNOptions& options);
};

/// LSTM, as torch.nn.LSTM (with proj_size).
///
///     auto lstm = std::make_shared<tg::nn::LSTM>(
///         tg::nn::LSTMOptions(8, 16).num_layers(2).bidirectional(true).batch_first(true));
///     auto out = lstm->forward(x, {}, {5, 3, 1});   // x (3, 5, 8): out.output (3, 5, 32), out.c_n (4, 3, 16)
class LSTM : public RecurrentLayer {
 public:
  explicit LSTM(const LSTMOptions& options);
};

/// GRU, as torch.nn.GRU.
///
///     auto gru = std::make_shared<tg::nn::GRU>(tg::nn::GRUOptions(8, 16));
///     auto out = gru->forward(x, {h0});
class GRU : public RecurrentLayer {
 public:
  explicit GRU(const GRUOptions& options);
};

}  // namespace tg::nn
