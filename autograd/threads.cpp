#include "autograd/threads.hpp"

#include "autograd/error.hpp"
#include "autograd/parallel_for.hpp"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/blocked_range.h>
#include <tbb/partitioner.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

namespace tg {

namespace {
std::mutex mutex;
std::unique_ptr<tbb::global_control> control;
std::atomic<int> current{0};

// Set while this thread runs a task of parallel_tasks; products there stay on this thread.
thread_local bool inside_task = false;

struct InsideTask {
  bool saved = std::exchange(inside_task, true);
  ~InsideTask() { inside_task = saved; }
};
}  // namespace

void set_num_threads(int threads) {
  if (threads < 0) fail<ValueError>("set_num_threads: {} threads; give a positive count, or 0 for all cores", threads);
  std::lock_guard lock(mutex);
  const int n = threads == 0 ? tbb::info::default_concurrency() : threads;
  control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  current = n;
}

int get_num_threads() {
  const int n = current.load();
  return n ? n : tbb::info::default_concurrency();
}

void parallel_tasks(std::size_t count, const std::function<void(std::size_t)>& task) {
  if (count < 2) {
    if (count == 1) task(0);
    return;
  }
  if (get_num_threads() < 2) {  // in order, but as tasks: their products are cut as on more threads
    InsideTask inside;
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  // simple_partitioner with grain 1: every task its own TBB task, so two tasks do get two threads.
  detail::parallel_for(
      tbb::blocked_range<std::size_t>(0, count, 1),
      [&](const tbb::blocked_range<std::size_t>& r) {
        InsideTask inside;
        for (std::size_t i = r.begin(); i != r.end(); ++i) task(i);
      },
      tbb::simple_partitioner());
}

namespace detail {
bool in_parallel_task() { return inside_task; }
}  // namespace detail

}  // namespace tg
