#include "nn/elmo_bilm.hpp"

#include "autograd/ops.hpp"

#include <algorithm>

namespace tg::nn {

namespace {

// Per sentence, how many positions hold a token; they must come first.
std::vector<std::size_t> prefix_lengths(const Mask& mask, const std::string& who) {
  std::vector<std::size_t> lengths(mask.shape()[0]);
  for (std::size_t n = 0; n < lengths.size(); ++n) {
    std::size_t length = 0;
    while (length < mask.shape()[1] && mask(n, length)) ++length;
    for (std::size_t t = length; t < mask.shape()[1]; ++t)
      if (mask(n, t))
        fail<ValueError>("{}: sentence {} has a token at position {} after padding at {}; the tokens must come first",
                         who, n, t, length);
    if (length == 0)
      fail<ValueError>("{}: sentence {} has no token; give the ids with their sentence boundaries "
                       "(data::add_elmo_sentence_boundaries), which every sentence has", who, n);
    lengths[n] = length;
  }
  return lengths;
}

Tensor mask_like(const Mask& mask, const Tensor& like) {
  return visit_dtype(like.dtype(), [&]<class T>() { return from_array<T>(xt::cast<T>(mask)); });
}

}  // namespace

ElmoBiLm::ElmoBiLm(const ElmoOptions& options_) : Module("ElmoBiLm"), options(options_) {
  if (options.char_cnn.projection_dim_ != options.lstm.projection_dim_)
    fail<ValueError>("ElmoBiLm: the token encoder's projection_dim {} must equal the LSTMs' projection_dim {}",
                     options.char_cnn.projection_dim_, options.lstm.projection_dim_);
  token_embedder = register_module("_token_embedder", std::make_shared<ElmoCharacterEncoder>(options.char_cnn));
  elmo_lstm = register_module("_elmo_lstm", std::make_shared<ElmoLstm>(options.lstm));
  if (options.vocab_size_ > 0)
    softmax = register_module("softmax", std::make_shared<Linear>(options.lstm.projection_dim_, options.vocab_size_));
}

ElmoBiLmOutput ElmoBiLm::forward(const IndexArray& char_ids) {
  auto scope = record_scope();
  Tensor tokens = token_embedder->forward(char_ids);  // (N, T, P); checks the ids' shape
  ElmoBiLmOutput out;
  out.mask = xt::zeros<bool>({char_ids.shape()[0], char_ids.shape()[1]});
  const std::size_t chars = char_ids.shape()[2];
  for (std::size_t i = 0; i < out.mask.size(); ++i)  // a token is present where any of its ids is
    out.mask.data()[i] = std::any_of(char_ids.data() + i * chars, char_ids.data() + (i + 1) * chars,
                                     [](Index id) { return id != 0; });
  const std::vector<std::size_t> lengths = prefix_lengths(out.mask, describe());
  Tensor valid = unsqueeze(mask_like(out.mask, tokens), -1);
  out.activations.push_back(concat({tokens, tokens}, -1) * valid);
  // The stacks run time-major, as the recurrent ops do.
  for (const Tensor& layer : elmo_lstm->forward(transpose(tokens, 0, 1), lengths))
    out.activations.push_back(transpose(layer, 0, 1));
  return out;
}

BiLmLosses ElmoBiLm::losses(const IndexArray& char_ids, const IndexArray& targets) {
  if (!softmax) fail<ValueError>("{}: loss needs a softmax; build the biLM with ElmoOptions::vocab_size", describe());
  if (targets.dimension() != 2 || char_ids.dimension() != 3 || targets.shape()[0] != char_ids.shape()[0] ||
      targets.shape()[1] != char_ids.shape()[1])
    fail<ShapeError>("{}: targets of shape {} must be (N, T) for character ids of shape {}", describe(),
                     shape_str(targets.shape()), shape_str(char_ids.shape()));
  const std::size_t steps = targets.shape()[1];
  if (steps < 2) fail<ValueError>("{}: sentences of {} positions have nothing to predict", describe(), steps);
  ElmoBiLmOutput layers = forward(char_ids);
  const Tensor& top = layers.activations.back();
  const std::size_t p = options.lstm.projection_dim_;
  // Position t + 1 is a token exactly when both t (forward) and t + 1 (backward) may predict.
  const Mask predicted = xt::view(layers.mask, xt::all(), xt::range(1, steps));
  const auto ce = [&](const Tensor& h, const IndexArray& y) {
    IndexArray counted = xt::where(predicted, y, Index(0));  // padded targets are never read
    // The softmax layer fused into the loss: a (N, T - 1, vocabulary) logits array never exists.
    return linear_cross_entropy(h, softmax->weight, softmax->bias, counted, CrossEntropyOptions().with_mask(predicted));
  };
  BiLmLosses losses;
  losses.forward = ce(narrow(narrow(top, -1, 0, p), 1, 0, steps - 1), xt::view(targets, xt::all(), xt::range(1, steps)));
  losses.backward = ce(narrow(narrow(top, -1, p, p), 1, 1, steps - 1), xt::view(targets, xt::all(), xt::range(0, steps - 1)));
  losses.total = 0.5 * (losses.forward + losses.backward);
  return losses;
}

std::string ElmoBiLm::extra_repr() const { return fmt::format("vocab_size={}", options.vocab_size_); }

}  // namespace tg::nn
