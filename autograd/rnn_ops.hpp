#pragma once
// Fused recurrent cells: one op per time step that does the recurrent GEMM, the gate
// nonlinearities and the state update in one pass over memory, with a hand-written backward that
// is gradchecked against its composition from basic ops (tests/autograd/rnn_cells_test.cpp).
//
// The input half of every gate, `gates_x = x W_ih^T + b_ih`, is NOT computed here: the layers do it
// for all time steps at once with one `linear` (one big GEMM instead of L small ones), and hand the
// cell one step's slice (N, G*H). Gate blocks follow PyTorch: RNN (1), LSTM i,f,g,o (4), GRU r,z,n (3).
#include "autograd/tensor.hpp"

#include <vector>

namespace tg {

enum class RnnNonlinearity { Tanh, Relu };

/// One Elman step: h' = act(gates_x + h W_hh^T + b_hh), with gates_x (N, H), h (N, H),
/// weight_hh (H, H), bias_hh (H) or undefined.
///
///     Tensor h1 = tg::rnn_cell(tg::linear(x, w_ih, b_ih), h0, w_hh, b_hh, tg::RnnNonlinearity::Tanh);
Tensor rnn_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh);

/// One LSTM step. gates_x (N, 4H), h (N, P) with P = H, or the projection size when the layer
/// projects; c (N, H); weight_hh (4H, P); bias_hh (4H) or undefined.
///   i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (gates_x + h W_hh^T + b_hh)
///   c' = f * c + i * g;   y = o * tanh(c')
/// A node has one output, so the op returns y and c' stacked as one (2, N, H) tensor: element 0 is
/// y (the new h before any projection, h' = y W_hr^T when projecting), element 1 is c'. The layers
/// take them apart with `select(state, 0, k)`, whose backward writes into this op's gradient.
///
///     Tensor yc = tg::lstm_cell(gx, h, c, w_hh, b_hh);
///     Tensor h1 = tg::select(yc, 0, 0), c1 = tg::select(yc, 0, 1);
Tensor lstm_cell(const Tensor& gates_x, const Tensor& h, const Tensor& c, const Tensor& weight_hh,
                 const Tensor& bias_hh);

/// One GRU step. gates_x (N, 3H), h (N, H), weight_hh (3H, H), bias_hh (3H) or undefined.
///   r = sigmoid(x_r + h W_hr^T + b_hr),  z = sigmoid(x_z + h W_hz^T + b_hz)
///   n = tanh(x_n + r * (h W_hn^T + b_hn))      when reset_after (PyTorch, cuDNN: one GEMM per step)
///   n = tanh(x_n + (r * h) W_hn^T + b_hn)      otherwise (the original paper: Cho et al. 2014)
///   h' = (1 - z) * n + z * h
///
///     Tensor h1 = tg::gru_cell(tg::linear(x, w_ih, b_ih), h0, w_hh, b_hh);
Tensor gru_cell(const Tensor& gates_x, const Tensor& h, const Tensor& weight_hh, const Tensor& bias_hh,
                bool reset_after = true);

// ---- whole sequences ----------------------------------------------------------------------------
// One op per direction of a layer for the whole sequence: the forward runs the time loop (one
// h W_hh^T GEMM per step into a buffer allocated once, then the fused gate math of the cells above,
// which it shares), keeping every step's gates (and the LSTM's c'); the backward rebuilds the state
// entering each step from the outputs instead of keeping a copy, runs the reverse loop, stacks
// every step's gate gradient dA into one (L*N, G*H) buffer, and then computes dW_hh = dA^T H_prev as
// ONE product with inner dimension L*N (instead of L products with inner dimension N) and db_hh as
// one column sum; d gates_x = dA, so the input projection's `linear` also gets one product.
//
// A node has one output, so each op packs its results into one (L + S, N, H) tensor: rows [0, L) are
// the outputs by time, row L is h_n and, for the LSTM, row L + 1 is c_n. The layers take them apart
// with narrow/select, whose backward writes into this op's gradient. Packing keeps the graph
// single-output (no multi-output node machinery for one op), at the price of one copy of h_n and c_n.
//
// `lengths` (empty, or N values in [1, L]) gives each sequence's valid prefix: beyond it the output
// is zero and the state is frozen, and `reverse` processes time backwards, so that each sequence
// starts at its own last valid step. gates_x is (L, N, G*H) and h0 (N, H), c0 (N, H).

/// The operands of one direction of a sequence op; c0 only for the LSTM, bias_hh may be undefined.
/// Either gates_x, or the layer input x (L, N, I) with weight_ih (G*H, I) and optionally bias_ih:
/// the op then computes gates_x = x W_ih^T + b_ih itself, keeps it only for the forward (one
/// (L, N, G*H) buffer fewer through backward), and gives x, W_ih and b_ih their gradients with the
/// same products `linear` would, so the numbers are the same bits.
///
///     Tensor out = tg::lstm_sequence({.h0 = h0, .c0 = c0, .weight_hh = w_hh, .bias_hh = b_hh,
///                                     .x = x, .weight_ih = w_ih, .bias_ih = b_ih});
struct SequenceOperands {
  Tensor gates_x, h0, c0, weight_hh, bias_hh;
  Tensor x = {}, weight_ih = {}, bias_ih = {};
};

/// Elman RNN over a sequence; returns (L + 1, N, H): outputs, then h_n.
///
///     Tensor out = tg::rnn_sequence(tg::linear(x, w_ih, b_ih), h0, w_hh, b_hh);
///     Tensor y = tg::narrow(out, 0, 0, L), h_n = tg::select(out, 0, L);
Tensor rnn_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh, const std::vector<std::size_t>& lengths = {},
                    bool reverse = false);

/// LSTM (without projection) over a sequence; returns (L + 2, N, H): outputs, then h_n, then c_n.
///
///     Tensor out = tg::lstm_sequence(gx, h0, c0, w_hh, b_hh, {5, 3}, true);
///     Tensor c_n = tg::select(out, 0, out.size(0) - 1);
Tensor lstm_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& weight_hh,
                     const Tensor& bias_hh, const std::vector<std::size_t>& lengths = {}, bool reverse = false);

/// GRU over a sequence (either form, see gru_cell); returns (L + 1, N, H): outputs, then h_n.
///
///     Tensor out = tg::gru_sequence(gx, h0, w_hh, b_hh);
Tensor gru_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& weight_hh, const Tensor& bias_hh,
                    bool reset_after = true, const std::vector<std::size_t>& lengths = {}, bool reverse = false);

/// The three ops above on SequenceOperands, which may give x and weight_ih instead of gates_x.
Tensor rnn_sequence(const SequenceOperands& operands, RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh,
                    const std::vector<std::size_t>& lengths = {}, bool reverse = false);
Tensor lstm_sequence(const SequenceOperands& operands, const std::vector<std::size_t>& lengths = {},
                     bool reverse = false);
Tensor gru_sequence(const SequenceOperands& operands, bool reset_after = true,
                    const std::vector<std::size_t>& lengths = {}, bool reverse = false);

// ---- both directions of a bidirectional layer -----------------------------------------------------
// One op for the two directions of a layer: `forward` runs over time left to right, `reverse` right
// to left, each exactly as the single-direction op above (the same numbers, bit for bit). When
// set_num_threads allows two threads, the two directions run at the same time, one per core, each
// with its products on its core, in forward and in backward; the weight gradients, one large product per
// direction, come after, split over all the cores. Returns (2, L + S, N, H): the single-direction
// op's packed result for each direction. Both directions share shapes, dtype and bias presence.


/// Both directions of a bidirectional Elman layer; returns (2, L + 1, N, H).
///
///     Tensor out = tg::rnn_bidirectional({gx_f, h0_f, {}, w_f, b_f}, {gx_r, h0_r, {}, w_r, b_r});
///     Tensor y_reverse = tg::narrow(tg::select(out, 0, 1), 0, 0, L);
Tensor rnn_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse,
                         RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh,
                         const std::vector<std::size_t>& lengths = {});

/// Both directions of a bidirectional LSTM layer (without projection); returns (2, L + 2, N, H).
Tensor lstm_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse,
                          const std::vector<std::size_t>& lengths = {});

/// Both directions of a bidirectional GRU layer (either form); returns (2, L + 1, N, H).
Tensor gru_bidirectional(const SequenceOperands& forward, const SequenceOperands& reverse, bool reset_after = true,
                         const std::vector<std::size_t>& lengths = {});

}  // namespace tg
