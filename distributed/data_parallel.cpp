#include "distributed/data_parallel.hpp"

#include "distributed/collectives.hpp"
#include "distributed/communicator.hpp"

#include <autograd/graph.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <unordered_map>

namespace tg::distributed {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A bucket: parameters of one dtype, packed one after another into one buffer that is all-reduced
// as one message. The last bucket carries one more element, the sum of the ranks' weights.
struct Bucket {
  Dtype dtype = kFloat32;
  std::vector<std::size_t> params;   // indices into Impl::params, in packing order
  std::vector<std::size_t> offsets;  // element offset of each in the buffer
  std::size_t elements = 0;
  xt::xarray<float> f32;             // the buffer of the bucket's dtype
  xt::xarray<double> f64;
  std::size_t pending = 0;           // gradients not final yet in this backward
  MPI_Request request = MPI_REQUEST_NULL;
};

}  // namespace

struct DataParallel::Impl {
  std::vector<std::pair<std::string, Tensor>> params;
  std::unordered_map<const TensorImpl*, std::size_t> index;  // parameter -> its position in params
  std::vector<std::size_t> bucket_of;                        // parameter -> its bucket
  std::vector<std::size_t> slot_of;                          // parameter -> its place in the bucket
  std::vector<Bucket> buckets;
  std::vector<bool> packed;  // parameter's gradient packed in this backward
  std::size_t next_to_start = 0;
  double weight = 1;
  bool has_loss = true;  // false: this rank contributes zeros (and weight 0) to this step
  bool overlap = true;

  // Copies weight * grad of parameter `p` into its bucket; starts every bucket that is now full, in order.
  void pack(std::size_t p) {
    if (packed[p]) return;
    packed[p] = true;
    Bucket& b = buckets[bucket_of[p]];
    const std::size_t slot = slot_of[p];
    const Tensor& param = params[p].second;
    const Tensor grad = has_loss ? param.grad() : Tensor();
    visit_dtype(b.dtype, [&]<class T>() {
      T* to = buffer<T>(b) + b.offsets[slot];
      const std::size_t n = param.numel();
      if (!grad.defined()) {
        std::fill(to, to + n, T(0));
        return;
      }
      const T* from = grad.data<T>().data();
      const T w = static_cast<T>(weight);
      for (std::size_t i = 0; i < n; ++i) to[i] = from[i] * w;
    });
    if (--b.pending == 0 && overlap) start_ready();
  }

  template <class T>
  T* buffer(Bucket& b) {
    if constexpr (std::is_same_v<T, float>) return b.f32.data();
    else return b.f64.data();
  }

  // Starts the buckets whose gradients are all packed, strictly in bucket order: every rank must
  // start the same collectives in the same order.
  void start_ready() {
    while (next_to_start < buckets.size() && buckets[next_to_start].pending == 0) {
      Bucket& b = buckets[next_to_start];
      const std::string what = fmt::format("all-reduce of gradient bucket {} of {}", next_to_start + 1, buckets.size());
      visit_dtype(b.dtype, [&]<class T>() {
        detail::check(MPI_Iallreduce(MPI_IN_PLACE, buffer<T>(b), static_cast<int>(b.elements),
                                     std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM,
                                     detail::communicator(), &b.request),
                      what);
      });
      ++next_to_start;
    }
    // Open MPI progresses a non-blocking collective only inside MPI calls: give the started ones a turn.
    for (std::size_t i = 0; i < next_to_start; ++i)
      if (buckets[i].request != MPI_REQUEST_NULL) detail::test(std::span(&buckets[i].request, 1), "all-reduce");
  }
};

DataParallel::DataParallel(std::vector<std::pair<std::string, Tensor>> parameters, DataParallelOptions options)
    : impl_(std::make_unique<Impl>()) {
  detail::communicator();  // names a missing Environment
  Impl& s = *impl_;
  s.params = std::move(parameters);
  s.overlap = options.overlap_;
  s.bucket_of.resize(s.params.size());
  s.slot_of.resize(s.params.size());
  for (std::size_t p = 0; p < s.params.size(); ++p) {
    if (!s.params[p].second.defined() || !s.params[p].second.requires_grad())
      fail<ValueError>("DataParallel: parameter '{}' is undefined or does not require grad", s.params[p].first);
    s.index.emplace(&s.params[p].second.impl(), p);
  }
  // Reverse parameter order: the output layer's gradients are final first.
  std::size_t bytes = 0;
  for (std::size_t p = s.params.size(); p-- > 0;) {
    const Tensor& t = s.params[p].second;
    const std::size_t size = t.numel() * (t.dtype() == kFloat32 ? sizeof(float) : sizeof(double));
    if (s.buckets.empty() || s.buckets.back().dtype != t.dtype() || bytes >= options.bucket_bytes_) {
      s.buckets.emplace_back().dtype = t.dtype();
      bytes = 0;
    }
    Bucket& b = s.buckets.back();
    s.bucket_of[p] = s.buckets.size() - 1;
    s.slot_of[p] = b.params.size();
    b.params.push_back(p);
    b.offsets.push_back(b.elements);
    b.elements += t.numel();
    bytes += size;
  }
  if (!s.buckets.empty()) s.buckets.back().elements += 1;  // the weights' sum
  for (Bucket& b : s.buckets) {
    if (b.elements > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      fail<ValueError>("DataParallel: a bucket of {} elements is more than one MPI message holds; lower bucket_bytes",
                       b.elements);
    if (b.dtype == kFloat32) b.f32 = xt::xarray<float>::from_shape({b.elements});
    else b.f64 = xt::xarray<double>::from_shape({b.elements});
  }
  broadcast_parameters();
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast_parameters() { broadcast_values(impl_->params); }

std::size_t DataParallel::num_buckets() const { return impl_->buckets.size(); }

std::vector<std::string> DataParallel::bucket(std::size_t i) const {
  std::vector<std::string> names;
  for (std::size_t p : impl_->buckets.at(i).params) names.push_back(impl_->params[p].first);
  return names;
}

void DataParallel::backward(const Tensor& loss, double weight) {
  Impl& s = *impl_;
  const auto start = Clock::now();
  s.weight = weight;
  s.has_loss = loss.defined();
  s.next_to_start = 0;
  s.packed.assign(s.params.size(), false);
  for (Bucket& b : s.buckets) b.pending = b.params.size();
  if (s.buckets.empty()) {
    if (loss.defined()) loss.backward();
    return;
  }
  Bucket& last = s.buckets.back();
  visit_dtype(last.dtype, [&]<class T>() { s.buffer<T>(last)[last.elements - 1] = static_cast<T>(weight); });
  if (loss.defined()) {
    LeafGradReadyGuard hook([&](const TensorImpl& leaf) {
      if (auto it = s.index.find(&leaf); it != s.index.end()) s.pack(it->second);
    });
    loss.backward();
  }
  timing_.started_during_backward = s.next_to_start;
  // Parameters the loss did not reach on this rank: zeros, so that the buckets still complete.
  for (std::size_t p = 0; p < s.params.size(); ++p) s.pack(p);
  s.start_ready();
  const auto wait_start = Clock::now();
  for (Bucket& b : s.buckets) detail::wait(std::span(&b.request, 1), "all-reduce of gradient buckets");
  timing_.waiting = seconds_since(wait_start);

  // Unpack: every gradient divided by the sum of the weights.
  const double total =
      visit_dtype(last.dtype, [&]<class T>() { return static_cast<double>(s.buffer<T>(last)[last.elements - 1]); });
  if (!(total > 0))
    fail<ValueError>("DataParallel::backward: the ranks' weights sum to {}; they must be positive", total);
  NoGradGuard no_grad;
  for (Bucket& b : s.buckets)
    visit_dtype(b.dtype, [&]<class T>() {
      for (std::size_t i = 0; i < b.params.size(); ++i) {
        TensorImpl& param = s.params[b.params[i]].second.impl();
        const T* from = s.buffer<T>(b) + b.offsets[i];
        auto* grad = param.grad ? std::get_if<xt::xarray<T>>(&param.grad->value) : nullptr;
        if (!grad) {
          param.grad = std::make_shared<TensorImpl>();
          param.grad->value = xt::xarray<T>::from_shape(std::get<xt::xarray<T>>(param.value).shape());
          grad = &std::get<xt::xarray<T>>(param.grad->value);
        }
        for (std::size_t k = 0; k < grad->size(); ++k) grad->data()[k] = static_cast<T>(from[k] / total);
      }
    });
  timing_.total = seconds_since(start);
}

}  // namespace tg::distributed
