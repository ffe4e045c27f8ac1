#pragma once
// The op library. Every op records its backward on the tape (see function.hpp), broadcasts as
// NumPy does where it takes two tensors, and throws a tg::Error naming itself and the
// offending shapes or values on bad input. Axes may be negative (counted from the end).
#include "autograd/tensor.hpp"

#include <optional>
#include <vector>

namespace tg {

class Generator;

// ---- elementwise arithmetic (broadcasting) ----------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
/// x ** exponent, elementwise.
Tensor pow(const Tensor& x, double exponent);
/// A scalar as a 0-d constant of `like`'s dtype (for `a * 2`).
Tensor scalar_like(double value, const Tensor& like);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// ---- elementwise functions ---------------------------------------------------------------
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
/// Limits x to [min, max]; the gradient is zero where x was clamped.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
/// A differentiable dtype conversion.
Tensor cast(const Tensor& x, Dtype dtype);

// ---- reductions ---------------------------------------------------------------------------
/// Sum of all elements (0-d result).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<long>& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<long>& axes, bool keepdim = false);
/// Maximum along one axis; the gradient goes to the first maximal element.
Tensor max(const Tensor& x, long axis, bool keepdim = false);
/// Maximum of all elements.
Tensor max(const Tensor& x);

// ---- matrix products (BLAS) -----------------------------------------------------------------
/// (n, k) x (k, m) -> (n, m); (b, n, k) x (b, k, m) -> (b, n, m); (b, n, k) x (k, m) -> (b, n, m).
Tensor matmul(const Tensor& a, const Tensor& b);
/// x W^T + b over the last axis of x: (..., in) with W (out, in), b (out) -> (..., out). One GEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- convolution -------------------------------------------------------------------------------
/// x (N, C_in, L), weight (C_out, C_in, K), bias (C_out) or undefined -> (N, C_out, L_out) with
/// L_out = (L + 2 padding - K) / stride + 1 (cross-correlation, as PyTorch). Zero padding on both
/// sides. Forward and backward are one GEMM each over an im2col matrix.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), std::size_t stride = 1,
              std::size_t padding = 0);
/// max(conv1d(x, weight, bias, stride, padding), -1) -> (N, C_out): the pooling of a character CNN
/// (ELMo's), the same values and gradients without the (N, C_out, L_out) convolution in memory. The
/// forward convolves a few sequences at a time and keeps each maximum's position; the backward sends
/// each gradient to that one window (the first on ties, as max does).
Tensor conv1d_max_over_time(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                            std::size_t stride = 1, std::size_t padding = 0);

// ---- shape and indexing ---------------------------------------------------------------------
Tensor reshape(const Tensor& x, const std::vector<long>& shape);  // one entry may be -1
Tensor transpose(const Tensor& x, long axis0, long axis1);
Tensor permute(const Tensor& x, const std::vector<long>& axes);
Tensor unsqueeze(const Tensor& x, long axis);
Tensor squeeze(const Tensor& x, long axis);
/// Copies x into the given broadcast shape (NumPy broadcasting rules).
Tensor expand(const Tensor& x, const Shape& shape);
Tensor concat(const std::vector<Tensor>& tensors, long axis);
Tensor stack(const std::vector<Tensor>& tensors, long axis);
/// Pieces of `size` along axis (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, std::size_t size, long axis);
/// `chunks` pieces of equal size along axis (the last may be smaller), as torch.chunk.
std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, long axis);
/// x[..., start:start+length, ...] along axis.
Tensor narrow(const Tensor& x, long axis, std::size_t start, std::size_t length);
/// x[..., index, ...]: removes the axis.
Tensor select(const Tensor& x, long axis, std::size_t index);
/// Rows of x along axis picked by `indices` (any shape; the axis is replaced by indices' shape).
/// Backward scatter-adds, so repeated indices accumulate.
Tensor index_select(const Tensor& x, long axis, const IndexArray& indices);
/// Embedding lookup: weight (num, dim), ids (...) -> (..., dim). Ids equal to `padding_idx` get
/// no gradient. Throws naming the id and the table size when an id is out of range.
Tensor embedding(const Tensor& weight, const IndexArray& ids, std::optional<Index> padding_idx = std::nullopt);

// ---- selection and masks ----------------------------------------------------------------------
/// cond ? a : b, elementwise, broadcasting all three.
Tensor where(const Mask& condition, const Tensor& a, const Tensor& b);
/// x with `value` where mask is true (mask broadcasts to x).
Tensor masked_fill(const Tensor& x, const Mask& mask, double value);

// ---- softmax family (numerically stable) ------------------------------------------------------
Tensor softmax(const Tensor& x, long axis);
Tensor log_softmax(const Tensor& x, long axis);
Tensor logsumexp(const Tensor& x, long axis, bool keepdim = false);

// ---- losses -----------------------------------------------------------------------------------
enum class Reduction { None, Mean, Sum };
struct CrossEntropyOptions {
  Index ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  /// Optional: only positions where the mask is true count (same shape as the targets).
  std::optional<Mask> mask;

  CrossEntropyOptions& ignore(Index index) { ignore_index = index; return *this; }
  CrossEntropyOptions& reduce(Reduction r) { reduction = r; return *this; }
  CrossEntropyOptions& with_mask(Mask m) { mask = std::move(m); return *this; }
};
/// Softmax cross-entropy, fused: logits (..., C) with class axis last, targets (...) of ids in [0, C).
/// Mean divides by the number of counted targets (not ignored, inside the mask), as PyTorch does.
Tensor cross_entropy(const Tensor& logits, const IndexArray& targets, const CrossEntropyOptions& options = {});
/// cross_entropy(linear(x, weight, bias), targets, options), the output layer and its loss in one op
/// that never holds the (..., C) logits: it computes them 256 rows at a time and turns each block
/// into the gradients at once. For a large vocabulary, the step's largest array is gone. Reduction
/// Mean or Sum; bias may be undefined.
Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& bias, const IndexArray& targets,
                            const CrossEntropyOptions& options = {});

// ---- regularization ---------------------------------------------------------------------------
/// Zeroes each element with probability p and scales the rest by 1/(1-p); identity unless training.
Tensor dropout(const Tensor& x, double p, bool training, Generator* generator = nullptr);

}  // namespace tg
