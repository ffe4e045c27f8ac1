#pragma once
// tbb::parallel_for as every parallel loop in tapegrad calls it: the same call, plus, in a
// ThreadSanitizer build, the happens-before edges that TSan cannot see by itself.
//
// TBB hands loop bodies to its workers inside the prebuilt libtbb.so, which is not instrumented, so
// TSan would report every read a body makes of the caller's data (and of the body's own captures,
// which live in task objects from TBB's pool) as a race. The edges below state parallel_for's
// contract and nothing more: the call, and every copy TBB makes of the body for a new task, happen
// before the bodies that run it; every body happens before the return (or the exception it threw
// reaching the caller), and before every copy made after it returned. Two bodies touching the same memory at the same time are still
// reported. (The remaining reports inside TBB's own
// scheduler code are suppressed in scripts/sanitizers/tsan.supp.)
#include <tbb/parallel_for.h>

#include <utility>

#if defined(__SANITIZE_THREAD__)
#define TAPEGRAD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TAPEGRAD_TSAN 1
#endif
#endif
#ifdef TAPEGRAD_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace tg::detail {

#ifdef TAPEGRAD_TSAN
/// Runs `f` when it goes out of scope, by return or by exception.
template <class F>
class OnExit {
 public:
  explicit OnExit(F f) : f_(std::move(f)) {}
  OnExit(const OnExit&) = delete;
  OnExit& operator=(const OnExit&) = delete;
  ~OnExit() { f_(); }

 private:
  F f_;
};

/// Synchronisation object for "published before a body runs": a global, because a body reaches
/// even its own captures through TBB's task memory.
inline char tsan_loop_start;

/// Synchronisation object for "a body has returned". TBB recycles a finished task's memory inside
/// libtbb.so, and a split builds the next copy of a body there, so every copy first acquires the
/// bodies that returned before it. Without this edge, a thread's reads of a body in a finished task
/// were reported as racing with another thread building a new task at the same address (once in
/// the CI run of 993945e; three runs in six of a 20,000-loop stress program).
inline char tsan_body_returned;

/// A loop body that publishes each copy of itself before TBB hands it on, and whose copies and
/// calls first acquire what was published; each call releases into `finish` for the caller.
template <class Body>
class TsanVisibleBody {
 public:
  TsanVisibleBody(const Body& body, char* finish) : body_(body), finish_(finish) { __tsan_release(&tsan_loop_start); }
  TsanVisibleBody(const TsanVisibleBody& other) : body_(acquired(other.body_)), finish_(other.finish_) {
    __tsan_release(&tsan_loop_start);
  }
  TsanVisibleBody& operator=(const TsanVisibleBody&) = delete;

  template <class Range>
  void operator()(const Range& range) const {
    __tsan_acquire(&tsan_loop_start);
    const OnExit released([this] {  // also when the body throws: the caller then handles what it threw
      __tsan_release(finish_);
      __tsan_release(&tsan_body_returned);
    });
    body_(range);
  }

 private:
  static const Body& acquired(const Body& body) {
    __tsan_acquire(&tsan_loop_start);
    __tsan_acquire(&tsan_body_returned);
    return body;
  }

  Body body_;
  char* finish_;
};
#endif

/// `tbb::parallel_for(range, body[, partitioner])`, visible to ThreadSanitizer.
///
///     detail::parallel_for(tbb::blocked_range<std::size_t>(0, n), [&](const auto& r) { ... });
template <class Range, class Body, class... Partitioner>
void parallel_for(const Range& range, const Body& body, Partitioner&&... partitioner) {
#ifdef TAPEGRAD_TSAN
  char finish = 0;  // only its address matters
  const OnExit acquired([&finish] { __tsan_acquire(&finish); });  // also when a body's exception comes through
  tbb::parallel_for(range, TsanVisibleBody<Body>(body, &finish), std::forward<Partitioner>(partitioner)...);
#else
  tbb::parallel_for(range, body, std::forward<Partitioner>(partitioner)...);
#endif
}

}  // namespace tg::detail
