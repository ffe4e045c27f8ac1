#pragma once
// tbb::parallel_for as every parallel loop in tapegrad calls it: the same call, plus, in a
// ThreadSanitizer build, the happens-before edges that TSan cannot see by itself.
//
// TBB hands loop bodies to its workers inside the prebuilt libtbb.so, which is not instrumented, so
// TSan would report every read a body makes of the caller's data (and of the body's own captures,
// which live in task objects from TBB's pool) as a race. The edges below state parallel_for's
// contract and nothing more: the call, and every copy TBB makes of the body for a new task, happen
// before the bodies that run it; every body happens before the return. Two bodies touching the
// same memory at the same time are still reported. (The remaining reports inside TBB's own
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
/// Synchronisation object for "published before a body runs": a global, because a body reaches
/// even its own captures through TBB's task memory.
inline char tsan_loop_start;

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
    body_(range);
    __tsan_release(finish_);
  }

 private:
  static const Body& acquired(const Body& body) {
    __tsan_acquire(&tsan_loop_start);
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
  tbb::parallel_for(range, TsanVisibleBody<Body>(body, &finish), std::forward<Partitioner>(partitioner)...);
  __tsan_acquire(&finish);
#else
  tbb::parallel_for(range, body, std::forward<Partitioner>(partitioner)...);
#endif
}

}  // namespace tg::detail
