#pragma once
// Collectives over every process of the job, for what is not a gradient: broadcasting a checkpoint
// from rank 0, summing metrics, gathering per-rank state to rank 0. Each waits at most timeout()
// (environment.hpp) and throws DistributedError naming what it was doing. Every rank must call the
// same collectives in the same order.
#include "distributed/environment.hpp"

#include <autograd/io/npz.hpp>
#include <autograd/tensor.hpp>

#include <span>
#include <string>
#include <vector>

namespace tg::distributed {

/// Replaces `text` on every rank with rank 0's.
void broadcast(std::string& text);

/// Replaces `values` on every rank with rank 0's: names, dtypes, shapes and values (a state dict
/// loaded from a checkpoint by rank 0 only, which may be on another host).
///
///     tg::StateDict state = tg::distributed::rank() == 0 ? tg::load_npz("optimizer.npz") : tg::StateDict{};
///     tg::distributed::broadcast(state);
///     optimizer.load_state_dict(state);
void broadcast(StateDict& values);

/// Overwrites the values of `tensors` with rank 0's in place. DistributedError if a rank's shapes
/// or dtypes differ from rank 0's (another model), naming the first difference.
void broadcast_values(std::span<const std::pair<std::string, Tensor>> tensors);

/// Sums `values` element-wise over all ranks, in place on every rank (metrics for logging: a loss
/// sum and a token count, so that the mean over ranks is sum / count).
void all_reduce_sum(std::span<double> values);

/// Rank 0 gets every rank's `text`, in rank order; the others get an empty vector.
std::vector<std::string> gather(const std::string& text);

/// Rank 0 gets the ranks' `local` arrays joined along `axis` in rank order (every other extent
/// equal); the others get an undefined Tensor. For per-rank slices of a batch, such as the
/// recurrent state a sequential language model carries to the next batch.
Tensor gather(const Tensor& local, std::size_t axis);

}  // namespace tg::distributed
