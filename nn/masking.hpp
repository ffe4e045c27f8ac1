#pragma once
// Masks from per-sequence lengths, and the two ops that honour them: the softmax of attention over
// each sequence's valid key positions, and the cross-entropy of a decoder over its real target tokens.
#include "nn/rnn.hpp"

#include <string_view>

namespace tg::nn {

/// `lengths` checked against a batch of `batch` sequences of `steps` positions each (N values in
/// [1, steps]; empty means every sequence is full), as size_t. A bad length throws ValueError starting
/// with `who`, the shape it was checked against and the offending value.
std::vector<std::size_t> checked_lengths(const Lengths& lengths, std::size_t batch, std::size_t steps,
                                         std::string_view who);

/// (batch, steps) mask, true where position t < lengths[b] (everything when lengths is empty).
Mask length_mask(const Lengths& lengths, std::size_t batch, std::size_t steps, std::string_view who);

/// Softmax over the last axis of scores (N, ..., K), counting for sequence b only its first
/// lengths[b] keys: weights on the others are exactly 0, and so is their gradient.
///
///     tg::Tensor w = tg::nn::masked_softmax(scores, {3, 1});   // scores (2, Q, 4): w(1, q, 1:) == 0
Tensor masked_softmax(const Tensor& scores, const Lengths& lengths);

/// Cross-entropy of time-major logits (T, N, V) against targets (T, N), counting for sequence b only
/// its first lengths[b] targets, averaged over those real tokens (padding neither counts nor gets
/// gradient).
///
///     tg::Tensor loss = tg::nn::masked_cross_entropy(out.logits, targets, target_lengths);
Tensor masked_cross_entropy(const Tensor& logits, const IndexArray& targets, const Lengths& lengths);

}  // namespace tg::nn
