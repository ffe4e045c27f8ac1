#pragma once
// Recurrent cells, one time step each, as PyTorch's nn.RNNCell, nn.LSTMCell and nn.GRUCell: same
// formulas, gate order (LSTM i,f,g,o; GRU r,z,n), parameter names and shapes, default init. A step
// is one fused op (tg::recurrent_step of autograd/ops/rnn/recurrent.hpp, which also describes the
// kind of recurrence: tg::CellSpec).
#include "autograd/ops/rnn/recurrent.hpp"
#include "nn/module.hpp"

#include <optional>
#include <string>

namespace tg::nn {

/// RNN's and RNNCell's nonlinearity, named beside the options that take it:
/// `RNNOptions(8, 16).nonlinearity(tg::nn::RnnNonlinearity::Relu)`. One enum, the ops' own; so are
/// the kind of recurrence, a cell's weights and a recurrent state.
using tg::CellSpec;
using tg::CellWeights;
using tg::RecurrentState;
using tg::RnnNonlinearity;

/// Registers `weight_ih<suffix>`, `weight_hh<suffix>`, `bias_ih<suffix>`, `bias_hh<suffix>` (when
/// `bias`) and `weight_hr<suffix>` (when proj_size > 0), in PyTorch's order and shapes, initialised
/// as PyTorch does: uniform(-1/sqrt(hidden), 1/sqrt(hidden)) for all of them.
CellWeights register_cell_weights(Module& module, const std::string& suffix, const CellSpec& spec,
                                  std::size_t input_size, std::size_t hidden_size, bool bias,
                                  std::size_t proj_size = 0);

// ---- the cell modules ---------------------------------------------------------------------------

/// Settings shared by the cells; `Derived` gets the fluent setters back as its own type.
template <class Derived>
struct CellOptionsBase {
  std::size_t input_size_ = 0, hidden_size_ = 0;
  bool bias_ = true;

  CellOptionsBase(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  Derived& bias(bool on) { bias_ = on; return static_cast<Derived&>(*this); }
};

struct RNNCellOptions : CellOptionsBase<RNNCellOptions> {
  using CellOptionsBase::CellOptionsBase;
  RnnNonlinearity nonlinearity_ = RnnNonlinearity::Tanh;
  RNNCellOptions& nonlinearity(RnnNonlinearity n) { nonlinearity_ = n; return *this; }
};
struct LSTMCellOptions : CellOptionsBase<LSTMCellOptions> {
  using CellOptionsBase::CellOptionsBase;
};
struct GRUCellOptions : CellOptionsBase<GRUCellOptions> {
  using CellOptionsBase::CellOptionsBase;
  bool reset_after_ = true;
  /// false: the paper's n = tanh(W_in x + b_in + W_hn (r * h) + b_hn) instead of PyTorch's r * (W_hn h + b_hn).
  GRUCellOptions& reset_after(bool on) { reset_after_ = on; return *this; }
};

/// What RNNCell, LSTMCell and GRUCell share: parameters weight_ih (G*H, in), weight_hh (G*H, H),
/// bias_ih, bias_hh (G*H); input (N, in) or unbatched (in); a zero state when none is given.
class RecurrentCell : public Module {
 public:
  std::size_t input_size() const { return input_size_; }
  std::size_t hidden_size() const { return hidden_size_; }
  const CellWeights& weights() const { return weights_; }

 protected:
  RecurrentCell(std::string name, CellSpec spec, std::size_t input_size, std::size_t hidden_size, bool bias);
  /// One step; state tensors are (N, H) or, for an unbatched input, (H).
  RecurrentState step(const Tensor& input, const RecurrentState& state);
  std::string extra_repr() const override;

 private:
  /// "LSTMCell(input_size=3, hidden_size=4)": how errors name the cell.
  std::string who() const;

  std::string name_;
  CellSpec spec_;
  std::size_t input_size_, hidden_size_;
  CellWeights weights_;
};

/// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), as torch.nn.RNNCell.
///
///     auto cell = std::make_shared<tg::nn::RNNCell>(tg::nn::RNNCellOptions(3, 5));
///     tg::Tensor h = cell->forward(x);        // x (N, 3), h (N, 5)
///     h = cell->forward(x2, h);
class RNNCell : public RecurrentCell {
 public:
  explicit RNNCell(const RNNCellOptions& options);
  Tensor forward(const Tensor& input, const Tensor& h = Tensor());
};

/// The LSTM step of torch.nn.LSTMCell; returns (h', c').
///
///     auto cell = std::make_shared<tg::nn::LSTMCell>(tg::nn::LSTMCellOptions(3, 5));
///     auto [h, c] = cell->forward(x);         // zero initial state
///     std::tie(h, c) = cell->forward(x2, {h, c});
class LSTMCell : public RecurrentCell {
 public:
  explicit LSTMCell(const LSTMCellOptions& options);
  std::pair<Tensor, Tensor> forward(const Tensor& input, const std::optional<RecurrentState>& state = std::nullopt);
};

/// The GRU step of torch.nn.GRUCell (or the paper's form with GRUCellOptions::reset_after(false)).
///
///     auto cell = std::make_shared<tg::nn::GRUCell>(tg::nn::GRUCellOptions(3, 5));
///     tg::Tensor h = cell->forward(x, h0);
class GRUCell : public RecurrentCell {
 public:
  explicit GRUCell(const GRUCellOptions& options);
  Tensor forward(const Tensor& input, const Tensor& h = Tensor());
};

}  // namespace tg::nn
