// tg::set_num_threads and tg::parallel_tasks: every task runs exactly once, on more than one thread
// when allowed, knowing it is a task (so its products stay on its thread), also when a task throws.
#include "support/support.hpp"

#include <autograd/threads.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace tg {
namespace {

TEST(Threads, SetNumThreadsRejectsNegativeCounts) {
  EXPECT_THROW(set_num_threads(-1), ValueError);
}

TEST(Threads, ParallelTasksRunsEveryTaskOnceInOrderOnOneThread) {
  test::ThreadsGuard guard;
  set_num_threads(1);
  std::vector<std::size_t> order;
  parallel_tasks(4, [&](std::size_t i) { order.push_back(i); });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(Threads, ParallelTasksUseTwoThreadsThatKnowTheyAreTasks) {
  test::ThreadsGuard guard;
  set_num_threads(2);
  std::atomic<int> waiting{0};
  std::mutex m;
  std::set<std::thread::id> ids;
  std::vector<int> inside(2);
  parallel_tasks(2, [&](std::size_t i) {
    inside[i] = detail::in_parallel_task();
    {
      std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
    }
    // Each task waits (bounded) for the other: only two threads running at once get both past here.
    ++waiting;
    for (int spin = 0; spin < 2000 && waiting.load() < 2; ++spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(inside, (std::vector<int>{1, 1}));
  EXPECT_FALSE(detail::in_parallel_task());
}

TEST(Threads, ParallelTasksRethrowAndLeaveTheCallerOutsideATask) {
  test::ThreadsGuard guard;
  set_num_threads(2);
  EXPECT_THROW(parallel_tasks(2, [](std::size_t i) { if (i == 1) throw std::runtime_error("task 1"); }),
               std::runtime_error);
  EXPECT_FALSE(detail::in_parallel_task());
}

// Mostly for the ThreadSanitizer pass (scripts/sanitize.sh): TBB builds new tasks in the memory of
// finished ones, where a thread read its body a moment before; autograd/parallel_for.hpp must make
// that reuse visible, or TSan reports a race. Before it did, this test failed 9 runs in 10.
TEST(Threads, ManyShortLoopsOfParallelTasksRunEveryTaskOnce) {
  test::ThreadsGuard guard;
  set_num_threads(2);
  constexpr std::size_t kLoops = 2000, kTasks = 64;
  std::vector<int> runs(kTasks, 0);
  for (std::size_t loop = 0; loop < kLoops; ++loop) parallel_tasks(kTasks, [&](std::size_t i) { ++runs[i]; });
  EXPECT_EQ(runs, std::vector<int>(kTasks, static_cast<int>(kLoops)));
}

}  // namespace
}  // namespace tg
