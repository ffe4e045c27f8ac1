// Fused softmax cross-entropy. Fused for speed (one pass per row forward, one backward) and for
// stability (log-sum-exp shifted by the row maximum); gradchecked against log_softmax + select.
#include "autograd/ops/common.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/parallel_for.hpp"

#include <tbb/blocked_range.h>

namespace tg {

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

/// Rows that count towards the loss (target not ignored, mask true), their targets checked.
std::vector<bool> counted_rows(const IndexArray& targets, const CrossEntropyOptions& options, std::size_t classes) {
  std::vector<bool> counted(targets.size());
  const bool* mask = options.mask ? options.mask->data() : nullptr;
  for (std::size_t r = 0; r < targets.size(); ++r) {
    const Index t = targets.data()[r];
    counted[r] = t != options.ignore_index && (!mask || mask[r]);
    if (counted[r] && (t < 0 || t >= static_cast<Index>(classes)))
      fail<IndexError>("cross_entropy: target {} at position {} is out of range for {} classes (must be in [0, {}) "
                       "or ignore_index {})",
                       t, r, classes, classes, options.ignore_index);
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
  const bool fits = ls.size() == targets.dimension() + 1 && std::equal(targets.shape().begin(), targets.shape().end(), ls.begin());
  if (ls.empty() || !fits)
    fail<ShapeError>("cross_entropy: logits {} do not fit targets {} (need logits (..., C) and targets (...))",
                     shape_str(ls), shape_str(targets.shape()));
  if (options.mask && !std::equal(options.mask->shape().begin(), options.mask->shape().end(),
                                  targets.shape().begin(), targets.shape().end()))
    fail<ShapeError>("cross_entropy: mask {} does not have the targets' shape {}", shape_str(options.mask->shape()),
                     shape_str(targets.shape()));
  const std::size_t classes = ls.back(), rows = targets.size();
  const std::vector<bool> counted = counted_rows(targets, options, classes);
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

}  // namespace tg
