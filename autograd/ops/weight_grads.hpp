#pragma once
// The gradients of a weight and its bias in y = x W^T + b, shared by the ops that multiply by one
// (linear, the recurrent cells and sequences): dW = dY^T X as one product, and db, the column sums
// of dY, added up in the same pass over dY where the product reads it (gemm_with_column_sums).
#include "autograd/function.hpp"
#include "autograd/ops/blas.hpp"

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace tg::detail {

/// Rows [row0, row0 + rows) of a weight W and the input X they multiplied (a recurrent cell's gate
/// blocks: h, or r * h for the paper GRU's candidate), X with row stride ld_in.
template <class T>
struct WeightBlock {
  std::size_t row0, rows;
  const T* in;
  std::size_t ld_in;
};

/// dW[block] += dY[:, block]^T X_block and db += sum_rows dY, for blocks that together cover every
/// row of W; dY has n rows of stride ld, W p columns. W is input `w_index`; its bias, an optional
/// input, comes right after. `sums_out`, when given, receives the column sums of dY if they were
/// computed from zero (a fresh bias gradient; else it is left empty): a second bias of the same dY (a
/// recurrent layer's b_ih beside b_hh) takes them as `sums_of_dy` instead of another pass over dY,
/// when its gradient is fresh too. The bits are those of one product per block and add_column_sums.
template <class T>
void accumulate_weight_grads(const BackwardContext<T>& ctx, std::size_t w_index, std::size_t n, const T* dy,
                             std::size_t ld, std::size_t p, std::initializer_list<WeightBlock<T>> blocks,
                             const std::vector<T>& sums_of_dy = {}, std::vector<T>* sums_out = nullptr) {
  T* db_sums = nullptr;        // the bias gradient that dY's column sums are added into
  ctx.accumulate_into(w_index + 1, [&](xt::xarray<T>& db, bool fresh) {  // skipped without a bias
    if (fresh && sums_of_dy.size() == db.size())
      return void(std::copy(sums_of_dy.begin(), sums_of_dy.end(), db.begin()));
    if (fresh) std::fill(db.begin(), db.end(), T(0));
    db_sums = db.data();
    if (fresh && sums_out) sums_out->resize(db.size());  // filled once the sums are in
  });
  bool summed = false;
  ctx.accumulate_into(w_index, [&](xt::xarray<T>& dw, bool fresh) {
    for (const WeightBlock<T>& blk : blocks) {
      T* dw_block = dw.data() + blk.row0 * p;
      if (db_sums)
        gemm_with_column_sums<T>(false, blk.rows, p, n, 1, dy + blk.row0, ld, blk.in, blk.ld_in, fresh ? 0 : 1,
                                 dw_block, p, db_sums + blk.row0);
      else
        gemm<T>(true, false, blk.rows, p, n, 1, dy + blk.row0, ld, blk.in, blk.ld_in, fresh ? 0 : 1, dw_block, p);
    }
    summed = true;
  });
  if (db_sums && !summed) add_column_sums<T>(n, ld, dy, ld, db_sums);  // W needs no gradient
  if (sums_out && !sums_out->empty()) std::copy(db_sums, db_sums + sums_out->size(), sums_out->begin());
}

}  // namespace tg::detail
