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
/// same time on TBB's threads, and the products inside a task stay on its thread, so that each task
/// uses one core instead of every task asking for all of them; otherwise they run in order.
/// For a few large independent jobs (the two directions of a bidirectional layer), not for loops.
void parallel_tasks(std::size_t count, const std::function<void(std::size_t)>& task);

namespace detail {
/// True on a thread that is running a task of parallel_tasks.
bool in_parallel_task();
}  // namespace detail

}  // namespace tg
