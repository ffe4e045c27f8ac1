#include "autograd/threads.hpp"

#include "autograd/error.hpp"

#include <tbb/global_control.h>
#include <tbb/info.h>

#include <memory>
#include <mutex>

extern "C" void openblas_set_num_threads(int);

namespace tg {

namespace {
std::mutex mutex;
std::unique_ptr<tbb::global_control> control;
int current = 0;
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

}  // namespace tg
