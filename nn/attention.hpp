#pragma once
// Attention over a batch of key/value sequences, as d2l's AdditiveAttention and DotProductAttention:
// each returns the context and the weights, which are exactly 0 beyond each sequence's valid keys.
// Shapes are batch-major: queries (N, Q, q), keys (N, K, k), values (N, K, v), lengths (N) in [1, K]
// -> context (N, Q, v), weights (N, Q, K).
#include "nn/linear.hpp"
#include "nn/rnn.hpp"  // Lengths

namespace tg::nn {

/// What an attention module returns.
struct AttentionOutput {
  Tensor context;  // (N, Q, v): the weighted sums of the values
  Tensor weights;  // (N, Q, K): rows sum to 1, zero on padded keys
};

struct AdditiveAttentionOptions {
  AdditiveAttentionOptions(std::size_t key_size, std::size_t query_size, std::size_t num_hiddens)
      : key_size_(key_size), query_size_(query_size), num_hiddens_(num_hiddens) {}
  /// Dropout on the weights that make the context, in training only (the returned weights are not dropped).
  AdditiveAttentionOptions& dropout(double p) { dropout_ = p; return *this; }

  std::size_t key_size_, query_size_, num_hiddens_;
  double dropout_ = 0;
};

/// Bahdanau's additive attention: e = w_v^T tanh(W_q q + W_k k), weights = masked softmax of e.
/// Parameters W_q.weight (h, q), W_k.weight (h, k), w_v.weight (1, h), all without bias, as d2l's.
/// A decoder projects its keys once per source batch with project_keys() and passes them to attend()
/// at every step:
///
///     auto attention = std::make_shared<tg::nn::AdditiveAttention>(tg::nn::AdditiveAttentionOptions(64, 32, 32));
///     tg::Tensor keys = attention->project_keys(annotations);           // (N, K, 64) -> (N, K, 32), once
///     auto [context, weights] = attention->attend(query, keys, annotations, source_lengths);  // each step
class AdditiveAttention : public Module {
 public:
  explicit AdditiveAttention(const AdditiveAttentionOptions& options);

  /// attend(queries, project_keys(keys), values, lengths).
  AttentionOutput forward(const Tensor& queries, const Tensor& keys, const Tensor& values, const Lengths& lengths = {});
  /// W_k k: keys (N, K, key_size) -> (N, K, num_hiddens).
  Tensor project_keys(const Tensor& keys);
  /// Attention with keys already projected by project_keys.
  AttentionOutput attend(const Tensor& queries, const Tensor& projected_keys, const Tensor& values,
                         const Lengths& lengths = {});

  AdditiveAttentionOptions options;
  std::shared_ptr<Linear> W_q, W_k, w_v;

 protected:
  std::string extra_repr() const override;
};

struct DotProductAttentionOptions {
  /// Divide the scores by sqrt(d), the queries' and keys' size (Vaswani et al.); true by default, as d2l's.
  DotProductAttentionOptions& scaled(bool on) { scaled_ = on; return *this; }
  DotProductAttentionOptions& dropout(double p) { dropout_ = p; return *this; }

  bool scaled_ = true;
  double dropout_ = 0;
};

/// e = q . k (divided by sqrt(d) when scaled), weights = masked softmax of e. No parameters; queries
/// and keys have the same size d.
///
///     auto attention = std::make_shared<tg::nn::DotProductAttention>();
///     auto out = attention->forward(queries, keys, values, {5, 3});   // out.weights (2, Q, K)
class DotProductAttention : public Module {
 public:
  explicit DotProductAttention(const DotProductAttentionOptions& options = {});

  AttentionOutput forward(const Tensor& queries, const Tensor& keys, const Tensor& values, const Lengths& lengths = {});

  DotProductAttentionOptions options;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
