#pragma once
// Data-parallel training: every rank holds the same model, computes the gradient of its own share
// of the batch, and the gradients are averaged over ranks during backward, so that every rank
// takes the same optimizer step.
#include "distributed/environment.hpp"

#include <autograd/tensor.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tg::distributed {

struct DataParallelOptions {
  /// Gradients travel in buckets of about this many bytes (PyTorch DDP's 25 MB): a few large
  /// messages instead of one per parameter, each started as soon as all its gradients are final.
  DataParallelOptions& bucket_bytes(std::size_t bytes) { bucket_bytes_ = bytes; return *this; }
  /// false: no bucket starts before backward has finished (to measure what the overlap hides).
  DataParallelOptions& overlap(bool on) { overlap_ = on; return *this; }

  std::size_t bucket_bytes_ = 25u << 20;
  bool overlap_ = true;
};

/// Where the time of the last backward() went, in seconds.
struct BackwardTiming {
  double total = 0;    ///< the whole call: backward, packing, all-reduce, unpacking
  double waiting = 0;  ///< waiting for all-reduces after backward finished: communication not hidden
  std::size_t started_during_backward = 0;  ///< buckets whose all-reduce began before backward ended
};

/// Averages gradients over ranks. Construction broadcasts rank 0's parameter values to every rank
/// (so each rank may initialise its model from any seed); backward() runs the loss's backward and
/// the bucketed, overlapped all-reduce, leaving the same averaged `.grad` on every rank.
///
/// Buckets are cut in reverse parameter order (the order backward produces gradients), and started
/// strictly in bucket order on every rank, so that the messages and the sums are the same whatever
/// the order in which gradients become final. Results do not depend on timing.
///
///     tg::distributed::Environment mpi(argc, argv);
///     auto model = std::make_shared<Net>();
///     tg::distributed::DataParallel ddp(model->named_parameters());   // rank 0's weights everywhere
///     tg::optim::Adam optimizer(model->named_parameters(), tg::optim::AdamOptions(1e-3));
///     for (...) {                                    // each rank on its own share of the batch
///       tg::Tensor loss = tg::cross_entropy(model->forward(x_mine), y_mine);
///       optimizer.zero_grad();
///       ddp.backward(loss, y_mine.size());           // weighted by this rank's share
///       optimizer.step();
///     }
class DataParallel {
 public:
  /// DistributedError if MPI is not initialized or the ranks' parameters differ in names, shapes or
  /// dtypes.
  explicit DataParallel(std::vector<std::pair<std::string, Tensor>> parameters, DataParallelOptions options = {});
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  /// loss.backward(), then every parameter's `.grad` becomes sum_r(weight_r * grad_r) / sum_r(weight_r)
  /// over the ranks r. With `loss` the mean over this rank's examples and `weight` their count, that
  /// is the gradient of the mean over all ranks' examples, as one process on the whole batch would
  /// get, also when shares are uneven; with equal weights it is the plain average. A parameter no
  /// rank's loss reached gets a zero gradient. A rank without examples in this step (the last batch
  /// of an epoch may have fewer examples than ranks) passes an undefined loss and weight 0.
  /// Every rank must call it once per step. DistributedError
  /// if a peer fails or does not answer within timeout().
  void backward(const Tensor& loss, double weight = 1);

  /// Re-sends rank 0's parameter values (after rank 0 alone loaded a checkpoint).
  void broadcast_parameters();

  std::size_t num_buckets() const;
  /// Names of the parameters in bucket `i`, in the order they are packed.
  std::vector<std::string> bucket(std::size_t i) const;
  const BackwardTiming& last_timing() const { return timing_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  BackwardTiming timing_;
};

}  // namespace tg::distributed
