#include "autograd/threads.hpp"

#include "autograd/error.hpp"
#include "autograd/parallel_for.hpp"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/blocked_range.h>
#include <tbb/partitioner.h>

#include <memory>
#include <mutex>

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads();

namespace tg {

namespace {
std::mutex mutex;
std::unique_ptr<tbb::global_control> control;
int current = 0;

// OpenBLAS's thread count is process-wide, so while any thread is inside parallel_tasks every
// product in the process runs on one thread. The first to enter saves the count (e.g. from
// OPENBLAS_NUM_THREADS), the last to leave restores it, also when a task throws.
std::mutex blas_mutex;
int blas_users = 0, blas_saved = 0;

struct SingleThreadedBlas {
  SingleThreadedBlas() {
    std::lock_guard lock(blas_mutex);
    if (blas_users++ == 0) {
      blas_saved = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    std::lock_guard lock(blas_mutex);
    if (--blas_users == 0) openblas_set_num_threads(blas_saved);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};
}  // namespace

void set_num_threads(int threads) {
  if (threads < 0) fail<ValueError>("set_num_threads: {} threads; give a positive count, or 0 for all cores", threads);
  std::lock_guard lock(mutex);
  const int n = threads == 0 ? tbb::info::default_concurrency() : threads;
  control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  openblas_set_num_threads(n);
  current = n;
}

int get_num_threads() {
  std::lock_guard lock(mutex);
  return current ? current : tbb::info::default_concurrency();
}

void parallel_tasks(std::size_t count, const std::function<void(std::size_t)>& task) {
  const int threads = get_num_threads();
  if (count < 2 || threads < 2) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  SingleThreadedBlas blas;
  // simple_partitioner with grain 1: every task its own TBB task, so two tasks do get two threads.
  detail::parallel_for(
      tbb::blocked_range<std::size_t>(0, count, 1),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) task(i);
      },
      tbb::simple_partitioner());
}

}  // namespace tg
