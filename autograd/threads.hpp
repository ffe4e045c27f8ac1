#pragma once
// The one place that decides how many threads tapegrad uses: TBB's pool and BLAS's pool share the
// cores instead of oversubscribing them.

namespace tg {

/// Sets the number of threads for TBB-parallel work and for BLAS. 0 means all cores.
void set_num_threads(int threads);
/// The current setting (all cores until set_num_threads is called).
int get_num_threads();

}  // namespace tg
