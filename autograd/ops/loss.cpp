// Fused softmax cross-entropy. Fused for speed (one pass per row forward, one backward) and for
// stability (log-sum-exp shifted by the row maximum); gradchecked against log_softmax + select.
// linear_cross_entropy also fuses the output layer's product, so its logits never exist whole.
#include "autograd/ops/blas.hpp"
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/parallel_for.hpp"

#include <tbb/blocked_range.h>

namespace tg {

using detail::gemm;

namespace {

/// body(r) for every row r < rows, over TBB's threads when the rows hold enough values to pay for
/// it. Rows are independent, so the result is the same bits on any number of threads.
template <class Body>
void for_each_row(std::size_t rows, std::size_t row_size, const Body& body) {
  constexpr std::size_t kValuesPerTask = std::size_t{1} << 15;
  const std::size_t grain = std::max<std::size_t>(1, kValuesPerTask / std::max<std::size_t>(row_size, 1));
  detail::parallel_for(tbb::blocked_range<std::size_t>(0, rows, grain), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
  });
}

/// Checks that the targets fit `scores` (the logits, or the input of a fused product: (..., n) for
/// targets (...)) and the mask fits the targets; `what` names `scores` in the message.
void check_targets(const char* op, const char* what, const Shape& scores, const IndexArray& targets,
                   const CrossEntropyOptions& options) {
  const bool fits = scores.size() == targets.dimension() + 1 &&
                    std::equal(targets.shape().begin(), targets.shape().end(), scores.begin());
  if (scores.empty() || !fits)
    fail<ShapeError>("{}: targets {} do not fit {} {} (need {} (..., n) and targets (...))", op,
                     shape_str(targets.shape()), what, shape_str(scores), what);
  if (options.mask && !std::equal(options.mask->shape().begin(), options.mask->shape().end(),
                                  targets.shape().begin(), targets.shape().end()))
    fail<ShapeError>("{}: mask {} does not have the targets' shape {}", op, shape_str(options.mask->shape()),
                     shape_str(targets.shape()));
}

/// Rows that count towards the loss (target not ignored, mask true), their targets checked.
std::vector<bool> counted_rows(const char* op, const IndexArray& targets, const CrossEntropyOptions& options,
                               std::size_t classes) {
  std::vector<bool> counted(targets.size());
  const bool* mask = options.mask ? options.mask->data() : nullptr;
  for (std::size_t r = 0; r < targets.size(); ++r) {
    const Index t = targets.data()[r];
    counted[r] = t != options.ignore_index && (!mask || mask[r]);
    if (counted[r] && (t < 0 || t >= static_cast<Index>(classes)))
      fail<IndexError>("{}: target {} at position {} is out of range for {} classes (must be in [0, {}) "
                       "or ignore_index {})",
                       op, t, r, classes, classes, options.ignore_index);
  }
  return counted;
}

}  // namespace

// l_r = logsumexp(x_r) - x_r[t_r] over counted rows r, then none / sum / mean over the counted rows;
// dx_r = dl_r * (softmax(x_r) - onehot(t_r))   (dl_r = dL / count for mean)
//
// With reduction mean and no counted row, the loss is 0/0 = NaN, as in PyTorch; its gradient is zero.
Tensor cross_entropy(const Tensor& logits, const IndexArray& targets, const CrossEntropyOptions& options) {
  detail::check_defined("cross_entropy", logits);
  const Shape& ls = logits.shape();
  check_targets("cross_entropy", "logits", ls, targets, options);
  const std::size_t classes = ls.back(), rows = targets.size();
  const std::vector<bool> counted = counted_rows("cross_entropy", targets, options, classes);
  std::size_t count = 0;
  for (bool c : counted) count += c;
  const Reduction reduction = options.reduction;

  return visit_dtype(logits.dtype(), [&]<class T>() {
    const T* x = logits.data<T>().data();
    std::vector<T> lse(rows, T(0));
    xt::xarray<T> losses = xt::zeros<T>(Shape(targets.shape().begin(), targets.shape().end()));
    for_each_row(rows, classes, [&](std::size_t r) {
      if (!counted[r]) return;
      lse[r] = detail::row_logsumexp(x + r * classes, classes);
      losses.data()[r] = lse[r] - x[r * classes + static_cast<std::size_t>(targets.data()[r])];
    });
    T total = 0;
    for (std::size_t r = 0; r < rows; ++r) total += losses.data()[r];  // in row order, on one thread
    xt::xarray<T> y = reduction == Reduction::None ? std::move(losses)
                                                    : xt::xarray<T>(reduction == Reduction::Sum
                                                                        ? total
                                                                        : total / static_cast<T>(count));
    return record<T>(
        "cross_entropy", std::move(y), {logits},
        [lse = std::move(lse), counted, targets, classes, rows, reduction, count](BackwardContext<T>& ctx) {
          const T* dy = ctx.grad().data();
          // dx = dl * (softmax(x) - onehot), row by row, from x into d (which may be x itself).
          auto write = [&](const T* x, T* dx, bool add) {
            for_each_row(rows, classes, [&](std::size_t r) {
              T* d = dx + r * classes;
              if (!counted[r]) {
                if (!add) std::fill(d, d + classes, T(0));
                return;
              }
              const T g = reduction == Reduction::None ? dy[r]
                          : reduction == Reduction::Sum ? dy[0]
                                                        : dy[0] / static_cast<T>(count);
              detail::scaled_exp(x + r * classes, lse[r], g, d, classes, add);
              d[targets.data()[r]] -= g;
            });
          };
          // Logits nobody else can read (a model's output fed straight into the loss) become their
          // own gradient, in place: one logits-sized buffer fewer at the peak of a step.
          if (xt::xarray<T>* x = ctx.reusable_input(0)) {
            write(x->data(), x->data(), false);
            ctx.accumulate(0, std::move(*x));
            return;
          }
          ctx.accumulate_into(0, [&](xt::xarray<T>& dx, bool fresh) { write(ctx.input(0).data(), dx.data(), !fresh); });
        },
        OutputUse::NotRead);
  });
}

// cross_entropy(linear(x, W, b), t) in blocks of kBlockRows rows. A block's logits z = x W^T + b
// give its losses and become, in place, its share of the gradient dz = s (softmax(z) - onehot(t))
// (s = 1/count for mean, 1 for sum), which is multiplied out at once: dx_block = dz W,
// dW += dz^T x_block, db += sum_rows(dz). Backward only scales those by the loss's gradient. So the
// (rows, classes) logits never exist, only one block of them; the products are the ones linear and
// cross_entropy would run (dW's k dimension is cut at the GEMM's own k-block, 256).
Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& bias, const IndexArray& targets,
                            const CrossEntropyOptions& options) {
  constexpr const char* op = "linear_cross_entropy";
  constexpr std::size_t kBlockRows = 256;
  if (bias.defined()) detail::check_same_dtype(op, {x, weight, bias});
  else detail::check_same_dtype(op, {x, weight});
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sw.size() != 2 || sx.empty() || sx.back() != sw[1])
    fail<ShapeError>("{}: input {} does not fit weight {} (need input (..., {}) and weight (classes, in))", op,
                     shape_str(sx), shape_str(sw), sw.size() == 2 ? sw[1] : 0);
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != sw[0]))
    fail<ShapeError>("{}: bias {} does not fit weight {} (need bias ({}))", op, shape_str(bias.shape()),
                     shape_str(sw), sw[0]);
  check_targets(op, "input", sx, targets, options);
  if (options.reduction == Reduction::None)
    fail<ValueError>("{}: reduction None is not supported (the loss is reduced block by block as it is computed); "
                     "use cross_entropy(linear(x, weight, bias), targets) for one loss per position",
                     op);
  const std::size_t in = sw[1], classes = sw[0], rows = targets.size();
  const std::vector<bool> counted = counted_rows(op, targets, options, classes);
  std::size_t count = 0;
  for (bool c : counted) count += c;
  const bool sum = options.reduction == Reduction::Sum;
  const bool recording = detail::should_record({x, weight, bias});
  const bool want_dx = recording && x.requires_grad(), want_dw = recording && weight.requires_grad();
  const bool want_db = recording && bias.defined() && bias.requires_grad();

  return visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>().data();
    const T* pw = weight.data<T>().data();
    const T* pb = bias.defined() ? bias.data<T>().data() : nullptr;
    const T scale = sum || count == 0 ? T(1) : T(1) / static_cast<T>(count);
    xt::xarray<T> dx = want_dx ? xt::xarray<T>::from_shape(sx) : xt::xarray<T>();
    xt::xarray<T> dw = want_dw ? xt::xarray<T>::from_shape(sw) : xt::xarray<T>();
    xt::xarray<T> db = want_db ? xt::zeros<T>({classes}) : xt::xarray<T>();
    std::vector<T> losses(rows, T(0));
    std::vector<T> z(std::min(rows, kBlockRows) * classes);
    for (std::size_t first = 0; first < rows; first += kBlockRows) {
      const std::size_t m = std::min(kBlockRows, rows - first);
      const T* xb = px + first * in;
      gemm<T>(false, true, m, classes, in, 1, xb, in, pw, in, 0, z.data(), classes, pb);  // + the bias in every row
      for_each_row(m, classes, [&](std::size_t r) {
        T* zr = z.data() + r * classes;
        const std::size_t row = first + r;
        if (!counted[row]) {
          std::fill(zr, zr + classes, T(0));
          return;
        }
        const auto t = static_cast<std::size_t>(targets.data()[row]);
        const T lse = detail::row_logsumexp(zr, classes);
        losses[row] = lse - zr[t];
        if (!recording) return;
        detail::scaled_exp(zr, lse, scale, zr, classes, false);
        zr[t] -= scale;
      });
      if (want_dx) gemm<T>(false, false, m, in, classes, 1, z.data(), classes, pw, in, 0, dx.data() + first * in, in);
      if (want_dw && want_db)  // db's column sums in the same pass over z
        detail::gemm_with_column_sums<T>(false, classes, in, m, 1, z.data(), classes, xb, in, first ? 1 : 0, dw.data(),
                                         in, db.data());
      else if (want_dw)
        gemm<T>(true, false, classes, in, m, 1, z.data(), classes, xb, in, first ? 1 : 0, dw.data(), in);
      else if (want_db)
        detail::add_column_sums<T>(m, classes, z.data(), classes, db.data());
    }
    T total = 0;
    for (T l : losses) total += l;  // in row order, on one thread
    xt::xarray<T> y(sum ? total : total / static_cast<T>(count));
    return record<T>(
        op, std::move(y), {x, weight, bias},
        [dx = std::move(dx), dw = std::move(dw), db = std::move(db)](BackwardContext<T>& ctx) mutable {
          const T g = ctx.grad().data()[0];
          // The gradients were made for g = 1: hand them over as they are when they are needed only once.
          auto give = [&](std::size_t i, xt::xarray<T>& d) {
            if (g == T(1) && !ctx.run().retain_graph) ctx.accumulate(i, std::move(d));
            else ctx.accumulate(i, xt::xarray<T>(g * d));
          };
          give(0, dx);
          give(1, dw);
          give(2, db);
        },
        OutputUse::NotRead);
  });
}

}  // namespace tg
