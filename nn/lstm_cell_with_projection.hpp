#pragma once
// One direction of one layer of ELMo's LSTM, as AllenNLP's LstmCellWithProjection: an LSTM whose
// cell is clipped and whose output is projected (and clipped) before it becomes the next h.
#include "autograd/ops/rnn/recurrent.hpp"
#include "nn/linear.hpp"

#include <vector>

namespace tg::nn {

struct LstmCellWithProjectionOptions {
  LstmCellWithProjectionOptions(std::size_t input_size, std::size_t hidden_size, std::size_t cell_size)
      : input_size_(input_size), hidden_size_(hidden_size), cell_size_(cell_size) {}
  /// false: run from each sequence's last valid step to its first.
  LstmCellWithProjectionOptions& go_forward(bool v) { go_forward_ = v; return *this; }
  /// |c| <= v after every step; 0 = no clipping (AllenNLP clips only for a truthy value).
  LstmCellWithProjectionOptions& memory_cell_clip_value(double v) { memory_cell_clip_value_ = v; return *this; }
  /// |h| <= v after the projection; 0 = no clipping.
  LstmCellWithProjectionOptions& state_projection_clip_value(double v) { state_projection_clip_value_ = v; return *this; }

  std::size_t input_size_, hidden_size_, cell_size_;
  bool go_forward_ = true;
  double memory_cell_clip_value_ = 0;
  double state_projection_clip_value_ = 0;
};

/// Over a time-major sequence x (L, N, input_size), from a zero state, with C = cell_size and
/// P = hidden_size (the projection):
///     i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (x W_in^T + h W_state^T + b_state)   (gates i,f,g,o)
///     c' = clip(i * g + f * c, cell_clip);   h' = clip((o * tanh c') W_proj^T, proj_clip)
/// Returns the h' of every step, (L, N, P), zero where t >= lengths[n]; a sequence's state does not
/// change beyond its length, and going backwards it starts at its own last valid step. Parameters
/// are AllenNLP's: input_linearity.weight (4C, I), state_linearity.weight (4C, P) and .bias (4C),
/// state_projection.weight (P, C); initialised as AllenNLP's (orthogonal blocks, forget bias 1).
///
///     auto lstm = std::make_shared<tg::nn::LstmCellWithProjection>(
///         tg::nn::LstmCellWithProjectionOptions(16, 16, 64).memory_cell_clip_value(3).state_projection_clip_value(3));
///     tg::Tensor h = lstm->forward(x, {5, 3});   // x (5, 2, 16) -> (5, 2, 16)
class LstmCellWithProjection : public Module {
 public:
  explicit LstmCellWithProjection(const LstmCellWithProjectionOptions& options);

  /// `lengths`: empty (every sequence spans L) or N values in [1, L]. One op for the whole sequence
  /// (tg::recurrent_sequence: the projected LSTM with cell_clip and proj_clip).
  Tensor forward(const Tensor& x, const std::vector<std::size_t>& lengths = {});
  void reset_parameters();
  /// What forward hands the sequence op, for running two layers as one op (ElmoLstm's directions):
  /// the LSTM kind with this layer's clipping, and x (checked) with a zero state and the weights.
  CellSpec spec() const;
  SequenceOperands operands(const Tensor& x) const;

  LstmCellWithProjectionOptions options;
  std::shared_ptr<Linear> input_linearity, state_linearity, state_projection;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
