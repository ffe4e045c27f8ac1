#pragma once
// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#include "optim/optimizer.hpp"

#include <limits>

namespace tg::optim {

/// Scales all gradients together so that their global `norm_type`-norm is at most `max_norm`
/// (coefficient max_norm / (total + 1e-6), as PyTorch) and returns the total norm before clipping.
/// `norm_type` may be infinity. The norm is accumulated in double over fixed blocks added in order,
/// so it is bitwise the same for any thread count. Parameters without a gradient are ignored.
/// With `error_if_nonfinite`, a NaN or infinite total norm throws ValueError instead of clipping.
///
///     loss.backward();
///     double norm = tg::optim::clip_grad_norm(model->named_parameters(), 1.0);
double clip_grad_norm(const NamedParameters& parameters, double max_norm, double norm_type = 2,
                      bool error_if_nonfinite = false);
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2,
                      bool error_if_nonfinite = false);

/// Clamps every gradient element to [-clip, clip].
///
///     tg::optim::clip_grad_value(model->named_parameters(), 0.5);
void clip_grad_value(const NamedParameters& parameters, double clip);
void clip_grad_value(const std::vector<Tensor>& parameters, double clip);

}  // namespace tg::optim
