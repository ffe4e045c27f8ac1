#include "datasets/sequence_batch.hpp"

#include "autograd/error.hpp"

#include <algorithm>
#include <numeric>

namespace tg::data {

std::vector<Index> truncate_pad(const std::vector<Index>& sequence, std::size_t num_steps, Index pad) {
  std::vector<Index> out(sequence.begin(), sequence.begin() + static_cast<std::ptrdiff_t>(std::min(sequence.size(), num_steps)));
  out.resize(num_steps, pad);
  return out;
}

Mask length_mask(const IndexArray& valid_lens, std::size_t num_steps, Layout layout) {
  const std::size_t rows = valid_lens.size();
  const bool time_major = layout == Layout::TimeMajor;
  Mask mask = Mask::from_shape(time_major ? Shape{num_steps, rows} : Shape{rows, num_steps});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t t = 0; t < num_steps; ++t)
      mask.data()[time_major ? t * rows + r : r * num_steps + t] = static_cast<Index>(t) < valid_lens(r);
  return mask;
}

SequenceBatch pad_sequences(const std::vector<std::vector<Index>>& sequences, const std::vector<std::size_t>& indices,
                            std::size_t num_steps, Index pad, Layout layout) {
  // As torch.nn.utils.rnn.pad_sequence([]): an empty batch is a bug upstream (an empty split, a
  // sampler cut), better caught here than as a (0, 0) batch that breaks a model later.
  if (indices.empty()) fail<ValueError>("pad_sequences: empty batch (no sequences to pad)");
  for (std::size_t i : indices)
    if (i >= sequences.size())
      fail<ValueError>("pad_sequences: index {} out of range for {} sequences", i, sequences.size());
  if (num_steps == 0)
    for (std::size_t i : indices) num_steps = std::max(num_steps, sequences[i].size());
  const std::size_t rows = indices.size();
  const bool time_major = layout == Layout::TimeMajor;
  SequenceBatch batch;
  batch.layout = layout;
  batch.tokens = IndexArray::from_shape(time_major ? Shape{num_steps, rows} : Shape{rows, num_steps});
  batch.valid_lens = IndexArray::from_shape({rows});
  for (std::size_t r = 0; r < rows; ++r) {
    const std::vector<Index> row = truncate_pad(sequences[indices[r]], num_steps, pad);
    batch.valid_lens(r) = static_cast<Index>(std::min(sequences[indices[r]].size(), num_steps));
    for (std::size_t t = 0; t < num_steps; ++t) batch.tokens.data()[time_major ? t * rows + r : r * num_steps + t] = row[t];
  }
  batch.mask = length_mask(batch.valid_lens, num_steps, layout);
  return batch;
}

SequenceBatch pad_sequences(const std::vector<std::vector<Index>>& sequences, std::size_t num_steps, Index pad,
                            Layout layout) {
  std::vector<std::size_t> all(sequences.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return pad_sequences(sequences, all, num_steps, pad, layout);
}

}  // namespace tg::data
