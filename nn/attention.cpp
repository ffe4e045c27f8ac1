#include "nn/attention.hpp"

#include "autograd/ops.hpp"
#include "nn/masking.hpp"

#include <cmath>

namespace tg::nn {

namespace {

/// Checks queries (N, Q, q), keys (N, K, k) and values (N, K, v) against each other and the sizes the
/// module expects (0: any), naming the module and all three shapes.
void check_shapes(const std::string& module, const Tensor& queries, const Tensor& keys, const Tensor& values,
                  std::size_t query_size, std::size_t key_size, const char* keys_name) {
  for (const Tensor* t : {&queries, &keys, &values})
    if (!t->defined()) fail<ValueError>("{}: queries, keys and values must be defined tensors", module);
  const auto shapes = [&] {
    return fmt::format("queries {}, {} {}, values {}", shape_str(queries.shape()), keys_name, shape_str(keys.shape()),
                       shape_str(values.shape()));
  };
  if (queries.dim() != 3 || keys.dim() != 3 || values.dim() != 3)
    fail<ShapeError>("{}: {} must be (batch, queries, {}), (batch, keys, {}) and (batch, keys, value_size)", module,
                     shapes(), query_size ? std::to_string(query_size) : "size",
                     key_size ? std::to_string(key_size) : "size");
  if (keys.size(0) != queries.size(0) || values.size(0) != queries.size(0) || keys.size(1) != values.size(1))
    fail<ShapeError>("{}: {} must share the batch size, and keys and values the number of keys", module, shapes());
  if ((query_size && queries.size(2) != query_size) || (key_size && keys.size(2) != key_size))
    fail<ShapeError>("{}: {} need query size {} and {} size {}", module, shapes(), query_size, keys_name, key_size);
}

/// The context of the (masked) weights, dropped out while training as d2l does. Bad lengths are
/// named with the module and the values' shape.
AttentionOutput attend_with(const std::string& module, const Tensor& scores, const Tensor& values,
                            const Lengths& lengths, double p, bool training) {
  checked_lengths(lengths, values.size(0), values.size(1), fmt::format("{}: values {}", module, shape_str(values.shape())));
  Tensor weights = masked_softmax(scores, lengths);
  return {matmul(p > 0 ? dropout(weights, p, training) : weights, values), weights};
}

void check_dropout(const std::string& module, double p) {
  if (!(p >= 0 && p < 1)) fail<ValueError>("{}: dropout {} is not in [0, 1)", module, p);
}

}  // namespace

// ---- AdditiveAttention ------------------------------------------------------------------------------

AdditiveAttention::AdditiveAttention(const AdditiveAttentionOptions& options_)
    : Module("AdditiveAttention"), options(options_) {
  if (!options.key_size_ || !options.query_size_ || !options.num_hiddens_)
    fail<ValueError>("{}: key_size, query_size and num_hiddens must be positive", describe());
  check_dropout(describe(), options.dropout_);
  W_k = register_module("W_k", std::make_shared<Linear>(options.key_size_, options.num_hiddens_, false));
  W_q = register_module("W_q", std::make_shared<Linear>(options.query_size_, options.num_hiddens_, false));
  w_v = register_module("w_v", std::make_shared<Linear>(options.num_hiddens_, 1, false));
}

Tensor AdditiveAttention::project_keys(const Tensor& keys) {
  auto scope = record_scope();
  if (!keys.defined() || keys.dim() != 3 || keys.size(2) != options.key_size_)
    fail<ShapeError>("{}: keys {} must be (batch, keys, {})", describe(),
                     keys.defined() ? shape_str(keys.shape()) : "undefined", options.key_size_);
  return W_k->forward(keys);
}

AttentionOutput AdditiveAttention::forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                           const Lengths& lengths) {
  return attend(queries, project_keys(keys), values, lengths);
}

// e[n, i, j] = w_v . tanh(W_q q[n, i] + (W_k k)[n, j])
AttentionOutput AdditiveAttention::attend(const Tensor& queries, const Tensor& projected_keys, const Tensor& values,
                                          const Lengths& lengths) {
  auto scope = record_scope();
  check_shapes(describe(), queries, projected_keys, values, options.query_size_, options.num_hiddens_,
               "projected keys");
  Tensor features = tanh(unsqueeze(W_q->forward(queries), 2) + unsqueeze(projected_keys, 1));  // (N, Q, K, h)
  Tensor scores = squeeze(w_v->forward(features), -1);
  return attend_with(describe(), scores, values, lengths, options.dropout_, is_training());
}

std::string AdditiveAttention::extra_repr() const {
  std::string out = fmt::format("key_size={}, query_size={}, num_hiddens={}", options.key_size_, options.query_size_,
                                options.num_hiddens_);
  if (options.dropout_ > 0) out += fmt::format(", dropout={}", options.dropout_);
  return out;
}

// ---- DotProductAttention ----------------------------------------------------------------------------

DotProductAttention::DotProductAttention(const DotProductAttentionOptions& options_)
    : Module("DotProductAttention"), options(options_) {
  check_dropout(describe(), options.dropout_);
}

// e[n, i, j] = q[n, i] . k[n, j]  (/ sqrt(d))
AttentionOutput DotProductAttention::forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                             const Lengths& lengths) {
  auto scope = record_scope();
  check_shapes(describe(), queries, keys, values, 0, 0, "keys");
  if (queries.size(2) != keys.size(2))
    fail<ShapeError>("{}: queries {} and keys {} must have the same size in their last dimension", describe(),
                     shape_str(queries.shape()), shape_str(keys.shape()));
  Tensor scores = matmul(queries, transpose(keys, 1, 2));
  if (options.scaled_) scores = scores / std::sqrt(static_cast<double>(keys.size(2)));
  return attend_with(describe(), scores, values, lengths, options.dropout_, is_training());
}

std::string DotProductAttention::extra_repr() const {
  std::string out = fmt::format("scaled={}", options.scaled_);
  if (options.dropout_ > 0) out += fmt::format(", dropout={}", options.dropout_);
  return out;
}

}  // namespace tg::nn
