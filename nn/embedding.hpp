#pragma once
// Lookup table of vectors, as torch.nn.Embedding.
#include "nn/module.hpp"

#include <optional>

namespace tg::nn {

struct EmbeddingOptions {
  EmbeddingOptions(std::size_t num_embeddings, std::size_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  /// Row that stays zero and gets no gradient (negative counts from the end, as PyTorch).
  EmbeddingOptions& padding_idx(Index index) { padding_idx_ = index; return *this; }

  std::size_t num_embeddings_;
  std::size_t embedding_dim_;
  std::optional<Index> padding_idx_;
};

/// ids (...) -> vectors (..., embedding_dim). Weight (num_embeddings, embedding_dim) starts N(0, 1)
/// with the padding row zero, as PyTorch.
///
///     auto embed = std::make_shared<tg::nn::Embedding>(
///         tg::nn::EmbeddingOptions(10000, 128).padding_idx(0));
///     tg::Tensor vectors = embed->forward(tg::IndexArray{{1, 5, 0}});   // (1, 3, 128)
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim)
      : Embedding(EmbeddingOptions(num_embeddings, embedding_dim)) {}

  Tensor forward(const IndexArray& ids);
  void reset_parameters();

  EmbeddingOptions options;
  Tensor weight;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
