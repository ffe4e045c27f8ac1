// What both recurrent op files need beyond the gate math: the checks of their operands and of the
// lengths of a padded batch (the one validation of lengths, which nn/ calls too), and the cut of a
// batch into the row ranges that run on different cores.
#include "autograd/ops/common.hpp"
#include "autograd/ops/rnn/kernels.hpp"

namespace tg {

void check_lengths(const std::string& who, const std::vector<std::size_t>& lengths, std::size_t steps,
                   std::size_t batch) {
  if (lengths.empty()) return;
  if (lengths.size() != batch) fail<ValueError>("{}: {} lengths for a batch of {}", who, lengths.size(), batch);
  for (std::size_t b = 0; b < batch; ++b)
    if (lengths[b] < 1 || lengths[b] > steps)
      fail<ValueError>("{}: lengths[{}] = {} is outside [1, {}] (the input has {} steps)", who, b, lengths[b], steps,
                       steps);
}

namespace detail::rnn {

CellShape check_operands(const char* op, std::size_t gates, bool sequence, const Tensor& gates_x, const Tensor& h,
                         const Tensor& weight_hh, const Tensor& bias_hh) {
  for (const Tensor* t : {&gates_x, &h, &weight_hh}) detail::check_defined(op, *t);
  if (bias_hh.defined()) detail::check_same_dtype(op, {gates_x, h, weight_hh, bias_hh});
  else detail::check_same_dtype(op, {gates_x, h, weight_hh});
  const Shape& sw = weight_hh.shape();
  if (sw.size() != 2 || sw[0] % gates != 0 || sw[0] == 0)
    fail<ShapeError>("{}: weight_hh {} must be ({} * hidden_size, recurrent_size)", op, shape_str(sw), gates);
  const std::size_t dims = sequence ? 3 : 2;
  const Shape& sx = gates_x.shape();
  if (sx.size() != dims || sx[dims - 1] != sw[0] || (sequence && sx[0] == 0))
    fail<ShapeError>("{}: gates_x {} does not fit weight_hh {} (need ({}batch, {}))", op, shape_str(sx),
                     shape_str(sw), sequence ? "seq_len >= 1, " : "", sw[0]);
  const CellShape s{sx[dims - 2], sw[0] / gates, sw[1]};
  if (h.dim() != 2 || h.shape()[0] != s.n || h.shape()[1] != s.p)
    fail<ShapeError>("{}: h {} does not fit gates_x {} and weight_hh {} (need ({}, {}))", op, shape_str(h.shape()),
                     shape_str(sx), shape_str(sw), s.n, s.p);
  if (bias_hh.defined() && (bias_hh.dim() != 1 || bias_hh.shape()[0] != sw[0]))
    fail<ShapeError>("{}: bias_hh {} does not fit weight_hh {} (need ({}))", op, shape_str(bias_hh.shape()),
                     shape_str(sw), sw[0]);
  return s;
}

// On BLAS the row ranges depend on the shape only (detail::kMaxPieces tasks in all, each of at least
// 8 rows), never on the thread count: a per-step product over 16 rows sums its elements in another
// order than the same rows inside a product over 32, so 1 thread must run the ranges 2 threads run.
// The AVX-512 GEMM sums them alike, so one thread runs the whole batch as one range: each step's
// product then reads W_hh once, not once per range (W1's LSTM layer step: 2.5% less time).
template <class T>
std::vector<Task> split_into_tasks(std::size_t directions, std::size_t batch) {
  constexpr std::size_t kMinRowsPerTask = 8;
  const std::size_t most = std::max<std::size_t>(batch / kMinRowsPerTask, 1);
  const bool one_range = cut_keeps_bits<T>() && get_num_threads() < 2;
  const std::size_t parts = one_range ? 1 : std::clamp<std::size_t>(detail::kMaxPieces / directions, 1, most);
  std::vector<Task> tasks;
  for (std::size_t d = 0; d < directions; ++d)
    for (std::size_t p = 0; p < parts; ++p) tasks.push_back({d, {batch * p / parts, batch * (p + 1) / parts}});
  return tasks;
}

template std::vector<Task> split_into_tasks<float>(std::size_t, std::size_t);
template std::vector<Task> split_into_tasks<double>(std::size_t, std::size_t);

}  // namespace detail::rnn

}  // namespace tg
