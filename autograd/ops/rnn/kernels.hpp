#pragma once
// The gate math of the recurrent ops (recurrent.hpp) on raw row-major buffers, shared by the
// one-step cells (cells.cpp) and the sequence op (sequence.cpp), so that both compute exactly the
// same numbers. Each kernel handles n rows of one time step; buffers are contiguous with the row
// widths given in the comments (H units per gate, P = width of h, G gate blocks).
#include "autograd/function.hpp"
#include "autograd/ops/blas.hpp"
#include "autograd/ops/isa/table.hpp"
#include "autograd/ops/rnn/recurrent.hpp"
#include "autograd/ops/weight_grads.hpp"
#include "autograd/threads.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tg::detail::rnn {

/// N rows, H units per gate, P columns of W_hh (the recurrent input's width).
struct CellShape {
  std::size_t n, h, p;
};

/// A range of batch rows [begin, end). Each row's recurrence is independent of the others', so a
/// recurrent op splits its batch into row ranges that run on different cores.
struct Rows {
  std::size_t begin, end;
  std::size_t count() const { return end - begin; }
};

/// One unit of parallel work: a range of rows of one direction.
struct Task {
  std::size_t direction;
  Rows rows;
};

/// The directions, each split into row ranges of at least 8 rows (thinner per-step products do not
/// pay for the split), detail::kMaxPieces tasks in all. Where T's products keep their bits however
/// they are cut (cut_keeps_bits), one thread runs one range per direction: one product per step over
/// the whole batch. Elsewhere the cut depends on the shape only, never on the thread count, so the
/// bits do not either: parallel_tasks runs the tasks in order on one thread.
template <class T>
std::vector<Task> split_into_tasks(std::size_t directions, std::size_t batch);

/// body(rows) for row ranges that cover [0, n), at the same time on the cores the setting allows
/// (parallel_tasks: each task's products stay on its core). The results are the same bits on any
/// thread count (split_into_tasks).
template <class T, class Body>
void for_row_ranges(std::size_t n, Body&& body) {
  const std::vector<Task> tasks = split_into_tasks<T>(1, n);
  parallel_tasks(tasks.size(), [&](std::size_t i) { body(tasks[i].rows); });
}

/// Checks the operands of a recurrent op: gates_x (batch, G*H), or (seq, batch, G*H) when
/// `sequence`; h (batch, P); weight_hh (G*H, P); bias_hh (G*H) or undefined.
CellShape check_operands(const char* op, std::size_t gates, bool sequence, const Tensor& gates_x, const Tensor& h,
                         const Tensor& weight_hh, const Tensor& bias_hh);

/// The values of an optional operand (a bias, weight_hr), or null when it is absent.
template <class T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>().data() : nullptr;
}

/// out[:, row0:row0+rows] = in W[row0:row0+rows]^T + b[row0:row0+rows], for n rows of `in` (stride ld_in)
/// and `out` (stride ld_out); W is (*, p). A null b adds nothing. `packed`, when given, is
/// forward_operand(W, p, row0 + rows) with row0 = 0: W^T packed once for the whole sequence.
template <class T>
void recurrent_product(std::size_t n, std::size_t p, const T* in, std::size_t ld_in, const T* w, const T* b,
                       std::size_t row0, std::size_t rows, T* out, std::size_t ld_out,
                       const PackedB<T>* packed = nullptr) {
  const T* bias = b ? b + row0 : nullptr;
  if (packed) return gemm_packed<T>(false, n, 1, in, ld_in, *packed, 0, out, ld_out, bias);
  gemm<T>(false, true, n, rows, p, 1, in, ld_in, w + row0 * p, p, 0, out + row0, ld_out, bias);
}

/// dh (fresh: =, else +=) dA[:, row0:row0+rows] W_hh[row0:row0+rows], dA with n rows of stride ld.
/// `packed`, when given, is backward_operand(W, p, rows) with row0 = 0.
template <class T>
void recurrent_input_grad(std::size_t n, const T* d_a, std::size_t ld, const T* w, std::size_t p, std::size_t row0,
                          std::size_t rows, T* dh, bool fresh, const PackedB<T>* packed = nullptr) {
  if (packed) return gemm_packed<T>(false, n, 1, d_a, ld, *packed, fresh ? 0 : 1, dh, p);
  gemm<T>(false, false, n, p, rows, 1, d_a + row0, ld, w + row0 * p, p, fresh ? 0 : 1, dh, p);
}

/// The products of a whole sequence multiply by the same weight at every step: its first `rows`
/// rows, W (*, p), as op(B) of recurrent_product (W^T) and of recurrent_input_grad (W), packed once.
template <class T>
PackedB<T> forward_operand(const T* w, std::size_t p, std::size_t rows) {
  return PackedB<T>(true, p, rows, w, p);
}
template <class T>
PackedB<T> backward_operand(const T* w, std::size_t p, std::size_t rows) {
  return PackedB<T>(false, rows, p, w, p);
}

// ---- Elman ------------------------------------------------------------------------------------

/// y = act(y + gx) in place: y (n, H) holds gh on entry.
template <class T>
void rnn_forward(std::size_t count, const T* gx, T* y, bool relu) {
  isa::kernels<T>().rnn_forward(count, gx, y, relu);
}

/// dA = dy * act'(a), from the output y.
template <class T>
void rnn_backward(std::size_t count, const T* y, const T* dy, T* d_a, bool relu) {
  isa::kernels<T>().rnn_backward(count, y, dy, d_a, relu);
}

// ---- LSTM -------------------------------------------------------------------------------------

/// acts (n, 4H) holds gh on entry and the activated gates i, f, g, o on exit; gx (n, 4H); c_old,
/// y, c_new (n, H).
template <class T>
void lstm_forward(std::size_t n, std::size_t H, const T* gx, T* acts, const T* c_old, T* y, T* c_new) {
  isa::kernels<T>().lstm_forward(n, H, gx, acts, c_old, y, c_new);
}

/// From the gradients dy, dc_out (n, H) of y and c': dA (n, 4H) and, when dc_prev is not null,
/// dc_prev = dc' * f (n, H).
template <class T>
void lstm_backward(std::size_t n, std::size_t H, const T* acts, const T* c_old, const T* c_new, const T* dy,
                   const T* dc_out, T* d_a, T* dc_prev) {
  isa::kernels<T>().lstm_backward(n, H, acts, c_old, c_new, dy, dc_out, d_a, dc_prev);
}

// ---- GRU --------------------------------------------------------------------------------------

/// One GRU step over n rows: h (n, H), gx (n, 3H), out y (n, H). acts (n, 4H) receives r, z, n
/// and a fourth block `extra` = gh_n (reset_after) or r * h (paper), which backward reads.
/// `packed`: forward_operand(w, H, 3H), for reset_after only.
template <class T>
void gru_forward(std::size_t n, std::size_t H, const T* h, const T* w, const T* b, const T* gx, T* acts, T* y,
                 bool reset_after, const PackedB<T>* packed = nullptr) {
  const isa::KernelTable<T>& k = isa::kernels<T>();
  const std::size_t L = 4 * H;
  recurrent_product<T>(n, H, h, H, w, b, 0, reset_after ? 3 * H : 2 * H, acts, L, packed);
  k.gru_gates(n, H, h, gx, acts, y, reset_after);  // with reset_after, the whole step in one pass
  if (reset_after) return;
  recurrent_product<T>(n, H, acts + 3 * H, L, w, b, 2 * H, H, acts, L);
  k.gru_candidate(n, H, h, gx, acts, y);
}

/// The gate gradients of one GRU step from dy (n, H): d_x = d gates_x (n, 3H); with reset_after
/// d_gh (n, 3H) = d (h W^T + b), which differs from d_x in the n block; otherwise d_rh (n, H) =
/// d (r * h). The product dA W_hh is left to gru_state_grad.
template <class T>
void gru_gate_grads(std::size_t n, std::size_t H, const T* h, const T* w, const T* acts, const T* dy, T* d_x,
                    T* d_gh, T* d_rh, bool reset_after) {
  const isa::KernelTable<T>& k = isa::kernels<T>();
  k.gru_update_grads(n, H, h, acts, dy, d_x, reset_after ? d_gh : nullptr);  // reset_after: all of them
  if (reset_after) return;
  gemm<T>(false, false, n, H, H, 1, d_x + 2 * H, 3 * H, w + 2 * H * H, H, 0, d_rh, H);
  k.gru_reset_grads(n, H, h, acts, d_rh, d_x);
}

/// dh (fresh: =, else +=) the GRU step's gradient for its input state h: dA W_hh over the rows fed
/// by h, plus dy * z, plus (paper form) d_rh * r. `packed`: backward_operand(w, H, 3H or 2H).
template <class T>
void gru_state_grad(std::size_t n, std::size_t H, const T* w, const T* acts, const T* dy, const T* d_x,
                    const T* d_gh, const T* d_rh, T* dh, bool fresh, bool reset_after,
                    const PackedB<T>* packed = nullptr) {
  recurrent_input_grad<T>(n, reset_after ? d_gh : d_x, 3 * H, w, H, 0, reset_after ? 3 * H : 2 * H, dh, fresh,
                          packed);
  isa::kernels<T>().gru_state_grad_rest(n, H, acts, dy, d_rh, dh, reset_after);
}

}  // namespace tg::detail::rnn
