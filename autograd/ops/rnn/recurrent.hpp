#pragma once
// The recurrent ops: one time step (the cells) and whole sequences, for the three kinds of
// recurrence, with PyTorch's gate order (LSTM i,f,g,o; GRU r,z,n), shapes and numbers. nn/rnn.hpp
// and nn/rnn_cell.hpp build PyTorch's modules on them; their implementation lives beside this file:
//   kernels.hpp    the gate math of one step on raw rows (SIMD tables in ../isa/), shared by all
//   cells.cpp      rnn_cell, lstm_cell, gru_cell and recurrent_step
//   sequence.cpp   recurrent_sequence: the time loop inside one op, one or two directions
//   operands.cpp   the checks of operands and lengths, and the split of a batch over the cores
//
// Each kind, with a = gates_x + h W_hh^T + b_hh (gates_x = x W_ih^T + b_ih), dA = d loss / d a:
//   Rnn   h' = act(a)                                         dA = dh' act'(a)
//   Lstm  i,f,g,o = sig,sig,tanh,sig(a);  c' = f c + i g;  y = o tanh(c');  h' = y, or y W_hr^T
//         dc' = dc'_out + dy o (1 - tanh^2 c');  dA_i,f,g,o = dc' g i(1-i), dc' c f(1-f),
//         dc' i (1-g^2), dy tanh(c') o(1-o);  dc = dc' f;  dy = dh' (or dh' W_hr; dW_hr = dh'^T y)
//         cell_clip: c' = clamp(c', +-clip); proj_clip: h' = clamp(y W_hr^T, +-clip) (AllenNLP's
//         LstmCellWithProjection); no gradient through an element beyond the clip, and the whole
//         gradient through one exactly at it, as torch.clamp
//   Gru   r = sig(a_r), z = sig(a_z) with a_r,z = x_r,z + gh_r,z;  h' = (1 - z) n + z h
//         n = tanh(x_n + r gh_n)                (reset_after, PyTorch's and cuDNN's form)
//         n = tanh(x_n + (r h) W_hn^T + b_hn)   (the paper's, Cho et al. 2014)
//         dn = dh' (1-z), dz = dh' (h - n), dA_n = dn (1-n^2), dA_z = dz z(1-z), dA_r = dr r(1-r)
//         with dr = dA_n gh_n (reset_after) or (dA_n W_hn) h (paper)
// and for every kind: d gates_x = dA, dh = dA W_hh (+ the GRU's dh' z), dW_hh = dA^T h, db_hh = sum dA.
#include "autograd/tensor.hpp"

#include <array>
#include <vector>

namespace tg {

enum class RnnNonlinearity { Tanh, Relu };

/// Which recurrence, with its options: the one description the ops and nn/ share.
struct CellSpec {
  enum class Kind { Rnn, Lstm, Gru };
  Kind kind = Kind::Rnn;
  RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh;  // Rnn only
  bool reset_after = true;                                // Gru only: false is the paper's W_hn (r * h)
  double cell_clip = 0;  // Lstm only, 0 = none: c' clamped to [-cell_clip, cell_clip] (ELMo's models)
  double proj_clip = 0;  // Lstm with weight_hr only, 0 = none: h' clamped to [-proj_clip, proj_clip]

  /// Gate blocks stacked in the weights: 1, 4 or 3.
  std::size_t gates() const { return kind == Kind::Lstm ? 4 : kind == Kind::Gru ? 3 : 1; }
  /// "lstm", "gru" or "rnn": the ops' names start with it.
  const char* name() const { return kind == Kind::Lstm ? "lstm" : kind == Kind::Gru ? "gru" : "rnn"; }
};

/// The parameters of one cell (one layer and direction of a stacked layer), named as PyTorch's.
/// Undefined tensors are absent: the biases when bias=false, weight_hr unless an LSTM projects.
/// weight_ih (G*H, I), weight_hh (G*H, P), bias_ih and bias_hh (G*H), weight_hr (P, H); P is H, or
/// the projection size.
struct CellWeights {
  Tensor weight_ih = {}, weight_hh = {}, bias_ih = {}, bias_hh = {}, weight_hr = {};
};

/// A recurrent state: h (N, P), plus c (N, H) for an LSTM (undefined otherwise).
struct RecurrentState {
  Tensor h = {};
  Tensor c = {};
};

// ---- one step -------------------------------------------------------------------------------------
// One fused op per step: the recurrent GEMM, the gate math and the state update in one pass over
// memory, with a hand-written backward gradchecked against its composition from basic ops. The
// input half of the gates, gates_x (N, G*H), comes precomputed: a layer computes it for every step
// at once with one `linear`.

/// One Elman step: h' = act(gates_x + h W_hh^T + b_hh); bias_hh may be undefined.
///
///     Tensor h1 = tg::rnn_cell(tg::linear(x, w_ih, b_ih), h0, w_hh, b_hh, tg::RnnNonlinearity::Tanh);
Tensor rnn_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh);

/// One LSTM step before any projection: h (N, P), c (N, H), weight_hh (4H, P). A node has one
/// output, so the op returns y and c' stacked as one (2, N, H) tensor; take them apart with
/// `select(yc, 0, k)`, whose backward writes into this op's gradient.
///
///     Tensor yc = tg::lstm_cell(gx, h, c, w_hh, b_hh);
///     Tensor h1 = tg::select(yc, 0, 0), c1 = tg::select(yc, 0, 1);
Tensor lstm_cell(const Tensor& gates_x, const Tensor& h, const Tensor& c, const Tensor& weight_hh,
                 const Tensor& bias_hh);

/// One GRU step (either form), h (N, H), weight_hh (3H, H).
///
///     Tensor h1 = tg::gru_cell(tg::linear(x, w_ih, b_ih), h0, w_hh, b_hh);
Tensor gru_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                bool reset_after = true);

/// One step of any kind from its weights: the cell above, then an LSTM's projection (and its
/// proj_clip). cell_clip needs the clamp between c' and y, inside the cell: recurrent_sequence has
/// it, and a step refuses it.
///
///     tg::RecurrentState s = tg::recurrent_step(spec, weights, tg::linear(x, w.weight_ih, w.bias_ih), s);
RecurrentState recurrent_step(const CellSpec& spec, const CellWeights& weights, const Tensor& gates_x,
                              const RecurrentState& state);

// ---- whole sequences ------------------------------------------------------------------------------
// One op runs one direction of a layer, or both, over the whole sequence: the forward runs the time
// loop (one h W_hh^T product per step into a buffer allocated once, then the cells' gate math),
// keeping every step's gates; the backward reads the state entering each step among the outputs
// (h0 is kept beside them; a padded batch rebuilds them), runs the reverse loop, and computes each
// weight gradient (dW_hh = dA^T H_prev, dW_hr, db) as ONE product over all L*N rows instead of L
// products over N. Given x and weight_ih instead of gates_x,
// the op computes gates_x = x W_ih^T + b_ih itself and keeps it only for the forward, giving x,
// W_ih and b_ih the gradients `linear` would, in the same bits. With two threads, the directions
// (and the halves of a batch of 16 rows or more) run on their own cores.

/// One direction's operands, by name. Either x (L, N, I) with weights.weight_ih (and bias_ih), or
/// gates_x (L, N, G*H) with no weight_ih; h0 (N, P); c0 (N, H) for an LSTM only.
struct SequenceOperands {
  Tensor x = {}, gates_x = {}, h0 = {}, c0 = {};
  CellWeights weights = {};
};

/// One direction's results: output (L, N, P), zero at padded positions; h_n (N, P) and, for an
/// LSTM, c_n (N, H): the state after each sequence's last valid step.
struct SequenceOutput {
  Tensor output, h_n, c_n;
};

/// The lengths of a padded batch: empty (every sequence spans all `steps`), or one per sequence,
/// each in [1, steps]; else a ValueError that starts with `who` (an op's or a module's name).
void check_lengths(const std::string& who, const std::vector<std::size_t>& lengths, std::size_t steps,
                   std::size_t batch);

/// One direction over time: left to right, or, `reverse`, right to left, each sequence starting at
/// its own last valid step. Beyond a sequence's length its output is zero, its state frozen, and its
/// inputs get no gradient.
///
///     tg::SequenceOutput out = tg::recurrent_sequence({tg::CellSpec::Kind::Lstm},
///                                                     {.x = x, .h0 = h0, .c0 = c0, .weights = w}, {5, 3});
SequenceOutput recurrent_sequence(const CellSpec& spec, const SequenceOperands& operands,
                                  const std::vector<std::size_t>& lengths = {}, bool reverse = false);

/// Both directions of a bidirectional layer as one op, the same numbers, bit for bit, as two
/// single-direction calls; the directions share shapes, dtype and which operands are given.
///
///     auto [fwd, bwd] = tg::recurrent_sequence(spec, {.x = x, .h0 = h0, .weights = wf},
///                                              {.x = x, .h0 = h0r, .weights = wr}, lengths);
std::array<SequenceOutput, 2> recurrent_sequence(const CellSpec& spec, const SequenceOperands& forward,
                                                 const SequenceOperands& reverse,
                                                 const std::vector<std::size_t>& lengths = {});

}  // namespace tg
