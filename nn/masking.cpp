#include "nn/masking.hpp"

#include "autograd/ops.hpp"

#include <limits>

namespace tg::nn {

std::vector<std::size_t> checked_lengths(const Lengths& lengths, std::size_t batch, std::size_t steps,
                                         std::string_view who) {
  if (lengths.empty()) return std::vector<std::size_t>(batch, steps);
  check_lengths(std::string(who), lengths.values, steps, batch);  // the one validation of lengths
  return lengths.values;
}

Mask length_mask(const Lengths& lengths, std::size_t batch, std::size_t steps, std::string_view who) {
  const std::vector<std::size_t> valid = checked_lengths(lengths, batch, steps, who);
  Mask mask = Mask::from_shape({batch, steps});
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t t = 0; t < steps; ++t) mask(b, t) = t < valid[b];
  return mask;
}

// w = softmax(where(valid, s, -inf)): exp(-inf) is exactly 0, and masked_fill passes no gradient there.
Tensor masked_softmax(const Tensor& scores, const Lengths& lengths) {
  if (!scores.defined()) fail<ValueError>("masked_softmax: scores is an undefined tensor");
  if (scores.dim() < 2)
    fail<ShapeError>("masked_softmax: scores of shape {} must be (batch, ..., keys)", shape_str(scores.shape()));
  if (lengths.empty()) return softmax(scores, -1);
  const std::string who = fmt::format("masked_softmax: scores {}", shape_str(scores.shape()));
  const std::size_t batch = scores.size(0), keys = scores.shape().back();
  Mask padding = !length_mask(lengths, batch, keys, who);
  Shape broadcast(scores.dim(), 1);  // (batch, 1, ..., keys)
  broadcast.front() = batch;
  broadcast.back() = keys;
  padding.reshape(broadcast);
  return softmax(masked_fill(scores, padding, -std::numeric_limits<double>::infinity()), -1);
}

Tensor masked_cross_entropy(const Tensor& logits, const IndexArray& targets, const Lengths& lengths) {
  if (!logits.defined()) fail<ValueError>("masked_cross_entropy: logits is an undefined tensor");
  if (logits.dim() != 3 || targets.dimension() != 2 || targets.shape(0) != logits.size(0) ||
      targets.shape(1) != logits.size(1))
    fail<ShapeError>("masked_cross_entropy: logits {} and targets {} must be (steps, batch, classes) and (steps, batch)",
                     shape_str(logits.shape()), shape_str(targets.shape()));
  const std::string who = fmt::format("masked_cross_entropy: targets {}", shape_str(targets.shape()));
  Mask real = xt::transpose(length_mask(lengths, targets.shape(1), targets.shape(0), who));
  return cross_entropy(logits, targets, CrossEntropyOptions().with_mask(std::move(real)));
}

}  // namespace tg::nn
