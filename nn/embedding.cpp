#include "nn/embedding.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tg::nn {

Embedding::Embedding(const EmbeddingOptions& options_) : Module("Embedding"), options(options_) {
  if (auto& p = options.padding_idx_) {
    const auto n = static_cast<Index>(options.num_embeddings_);
    if (*p >= n || *p < -n)
      fail<IndexError>("Embedding({}, {}): padding_idx {} out of range", options.num_embeddings_,
                       options.embedding_dim_, *p);
    if (*p < 0) *p += n;
  }
  weight = register_parameter("weight", zeros({options.num_embeddings_, options.embedding_dim_}));
  reset_parameters();
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx_)
    visit_dtype(weight.dtype(), [&]<class T>() {
      xt::view(weight.data<T>(), *options.padding_idx_, xt::all()) = T(0);
    });
}

Tensor Embedding::forward(const IndexArray& ids) {
  auto scope = record_scope();
  return embedding(weight, ids, options.padding_idx_);
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", options.num_embeddings_, options.embedding_dim_);
  if (options.padding_idx_) s += fmt::format(", padding_idx={}", *options.padding_idx_);
  return s;
}

}  // namespace tg::nn
