#pragma once
// The one place that decides how many threads tapegrad uses. TBB's pool is the only one: OpenBLAS
// runs on one thread, and tapegrad splits large products over TBB itself (autograd/ops/blas.cpp).

#include <cstddef>
#include <functional>

namespace tg {

/// Sets the number of threads for all of tapegrad's parallel work, products included. 0 means all cores.
void set_num_threads(int threads);
/// The current setting (all cores until set_num_threads is called).
int get_num_threads();

/// Runs task(0), ..., task(count - 1). When the setting allows more than one thread they run at the
/// same time on TBB's threads; otherwise they run in order. Either way, with two or more tasks the
/// products inside a task stay one BLAS call each, so that each task uses one core instead of every
/// task asking for all of them, and a task computes the same bits on any thread count.
/// For a few large independent jobs (the two directions of a bidirectional layer), not for loops.
void parallel_tasks(std::size_t count, const std::function<void(std::size_t)>& task);

namespace detail {
/// The most pieces a parallel job (the blocks of a product, the row ranges of a recurrent time
/// loop) is cut into. The cut depends on the job's shape only, never on the thread count, so that
/// results are the same bits on any thread count; threads only decide who runs which piece. Two
/// pieces keep the two cores this project measures on busy without cutting the work finer.
inline constexpr std::size_t kMaxPieces = 2;

/// True on a thread that is running a task of parallel_tasks (one of two or more).
bool in_parallel_task();
}  // namespace detail

}  // namespace tg
