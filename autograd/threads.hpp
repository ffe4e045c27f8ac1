#pragma once
// The one place that decides how many threads tapegrad uses: TBB's pool and BLAS's pool share the
// cores instead of oversubscribing them.

#include <cstddef>
#include <functional>

namespace tg {

/// Sets the number of threads for TBB-parallel work and for BLAS. 0 means all cores.
void set_num_threads(int threads);
/// The current setting (all cores until set_num_threads is called).
int get_num_threads();

/// Runs task(0), ..., task(count - 1). When the setting allows more than one thread they run at the
/// same time on TBB's threads, and BLAS is single-threaded until they are done, so that each task's
/// products use one core instead of every task asking for all of them; otherwise they run in order.
/// For a few large independent jobs (the two directions of a bidirectional layer), not for loops.
void parallel_tasks(std::size_t count, const std::function<void(std::size_t)>& task);

}  // namespace tg
