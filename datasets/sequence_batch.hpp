#pragma once
// Variable-length sequences to fixed-size padded batches, with valid lengths and masks
// (d2l's `truncate_pad` / `build_array_nmt`).
#include "autograd/xt.hpp"
#include "datasets/layout.hpp"

#include <cstddef>
#include <vector>

namespace tg::data {

/// Token ids padded with the pad id, how many of each row are real, and the same as a mask
/// (`true` = a real token). Time-major (the default, as the recurrent layers and PyTorch's
/// `pad_sequence`): tokens and mask (num_steps, batch); batch-major: (batch, num_steps). valid_lens
/// is (batch). The batch says which layout it has.
struct SequenceBatch {
  IndexArray tokens;
  IndexArray valid_lens;
  Mask mask;
  Layout layout = Layout::TimeMajor;
};

/// `sequence` cut to num_steps or padded with `pad` up to it (d2l's `truncate_pad`).
std::vector<Index> truncate_pad(const std::vector<Index>& sequence, std::size_t num_steps, Index pad);

/// Pads or truncates every sequence to num_steps (0: the longest of them). The valid length of a
/// row is min(its length, num_steps), counted by length (d2l counts non-pad ids, which differs only
/// if a sequence contains the pad id itself).
///
///     auto b = tg::data::pad_sequences({{5, 6, 7}, {8}}, 4, vocab[tg::data::kPad], tg::data::Layout::BatchMajor);
///     // b.tokens = [[5,6,7,pad],[8,pad,pad,pad]], b.valid_lens = [3,1]; time-major by default: the transpose
SequenceBatch pad_sequences(const std::vector<std::vector<Index>>& sequences, std::size_t num_steps, Index pad,
                            Layout layout = Layout::TimeMajor);

/// The same for the rows `indices` of `sequences` (a batch from a BatchSampler).
SequenceBatch pad_sequences(const std::vector<std::vector<Index>>& sequences, const std::vector<std::size_t>& indices,
                            std::size_t num_steps, Index pad, Layout layout = Layout::TimeMajor);

/// (num_steps, batch) mask, `true` where t < valid_lens[b]` (or (batch, num_steps) when batch-major).
Mask length_mask(const IndexArray& valid_lens, std::size_t num_steps, Layout layout = Layout::TimeMajor);

}  // namespace tg::data
