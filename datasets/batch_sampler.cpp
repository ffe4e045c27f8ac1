#include "datasets/batch_sampler.hpp"

#include "autograd/error.hpp"
#include "datasets/shuffle.hpp"

#include <algorithm>
#include <numeric>

namespace tg::data {

BatchSampler::BatchSampler(std::vector<std::size_t> lengths, const BatchSamplerOptions& options)
    : EpochIterator(options.seed_), lengths_(std::move(lengths)), options_(options) {
  if (options.batch_size_ == 0) fail<ValueError>("BatchSampler: batch_size must be positive");
  if (lengths_.empty()) fail<ValueError>("BatchSampler: no examples");
  if (options.drop_last_ && lengths_.size() < options.batch_size_)
    fail<ValueError>("BatchSampler: {} examples give no full batch of {} (drop_last)", lengths_.size(),
                     options.batch_size_);
}

void BatchSampler::plan_epoch(Generator& generator) {
  std::vector<std::size_t> order(lengths_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (options_.shuffle_) shuffle(order, generator);
  if (const std::size_t width = options_.bucket_width_; width > 0)
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return lengths_[a] / width < lengths_[b] / width; });
  batches_.clear();
  for (std::size_t begin = 0; begin < order.size(); begin += options_.batch_size_) {
    const std::size_t end = std::min(order.size(), begin + options_.batch_size_);
    if (options_.drop_last_ && end - begin < options_.batch_size_) break;
    batches_.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                          order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  if (options_.shuffle_ && options_.bucket_width_ > 0) shuffle(batches_, generator);
}

bool BatchSampler::next(std::vector<std::size_t>& indices) {
  const auto index = advance();
  if (!index) return false;
  indices = batches_[*index];
  return true;
}

}  // namespace tg::data
