#!/usr/bin/env bash
# Runs the test suite under sanitizers, each in its own build folder beside ./build:
#   asan  build-asan: AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer, every test
#         except the ones listed in ASAN_EXCLUDE (a leak or any UB fails the test);
#   tsan  build-tsan: ThreadSanitizer over the tests of the multi-threaded code (TBB-parallel
#         optimizers, parallel_tasks and the recurrent ops that use it, the two-thread graph test).
# Usage: scripts/sanitize.sh [asan|tsan|all]   (default all). Extra ctest arguments via CTEST_ARGS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
which="${1:-all}"
"$root/scripts/setup.sh"

# Tests left out under ASan, as a ctest regex: the install test installs the library and builds an
# unsanitized consumer against it (it exercises CMake packaging, not our code); the learning tests
# (tests/*/*learning_test.cpp, suites named *Learning*) train for thousands of steps through code
# that the unit tests and gradchecks of the same layers already run, and would dominate CI's time.
ASAN_EXCLUDE="${ASAN_EXCLUDE:-^install\\.|Learning}"
# Tests of code that runs on more than one thread, and the test programs that hold them.
TSAN_TESTS="${TSAN_TESTS:-^(autograd\\.Graph\\.TwoThreads|autograd\\.Threads\\.|autograd\\.BlasSplit\\.|autograd\\.(Recurrent|RnnCell|LstmCell|GruCell)|optim\\.|reliability\\.Reproducibility)}"
# Not the MPI tests (distributed.*): each rank is one thread calling MPI (MPI_THREAD_FUNNELED), so
# tapegrad adds no concurrency there beyond the TBB loops already checked here; the rest happens in
# uninstrumented Open MPI (shared-memory handoffs between processes, its progress engine), where
# TSan can only report false races. Under ASan they run, with leak detection off for the ranks
# (tests/distributed/CMakeLists.txt says why).
TSAN_PROGRAMS=(autograd/graph autograd/threads autograd/blas_split autograd/rnn_sequence autograd/rnn_cells 'optim/*' reliability/reproducibility)

configure_and_build() {  # folder, sanitizers, [targets...]
  local dir="$1" sanitizers="$2"
  shift 2
  # -g1: line tables, so reports point at source lines, at a fraction of full debug info's build cost.
  # -O1, as the sanitizers' own documentation advises: it halves the compile time of our
  # template-heavy code against -O3, and the instrumented tests run as fast (measured on
  # nn_rnn_test, autograd_rnn_sequence_test and nn_seq2seq_test under ASan: within 10%).
  cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g1 \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" \
    -DTAPEGRAD_SANITIZE="$sanitizers" ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} \
    >/dev/null
  local target_args=()
  for t in "$@"; do target_args+=(--target "$t"); done
  cmake --build "$root/$dir" --parallel "$(nproc)" "${target_args[@]}"
}

# The closing line of a pass says whether it failed, so that a CI log's tail tells the whole story.
report() { [ "$1" -eq 0 ] && echo ", passed" || echo ", FAILED (ctest exit $1)"; }

run_asan() {
  local start=$SECONDS status=0
  configure_and_build build-asan address,undefined
  # OpenBLAS runs single-threaded here only to keep 2-core CI machines from oversubscribing while
  # ctest runs tests in parallel; ASan itself handles OpenBLAS's threads fine.
  (cd "$root/build-asan" &&
    OPENBLAS_NUM_THREADS=1 \
    ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:abort_on_error=0" \
    LSAN_OPTIONS="suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --output-on-failure --parallel "$(nproc)" -E "$ASAN_EXCLUDE" ${CTEST_ARGS:-}) || status=$?
  echo "sanitize: ASan+UBSan pass took $((SECONDS - start)) s$(report "$status")"
  return "$status"
}

run_tsan() {
  local start=$SECONDS targets=() program f status=0
  for program in "${TSAN_PROGRAMS[@]}"; do
    for f in "$root"/tests/$program"_test.cpp"; do
      [ -e "$f" ] || continue
      targets+=("$(basename "$(dirname "$f")")_$(basename "$f" .cpp)")
    done
  done
  configure_and_build build-tsan thread "${targets[@]}"
  # OPENBLAS_NUM_THREADS=1: OpenBLAS is not instrumented and its worker threads hand work over by
  # spinning on plain memory, which TSan cannot see as synchronisation; a multi-threaded GEMM would
  # be reported as a race. tapegrad keeps OpenBLAS on one thread anyway (it splits products over
  # TBB, which is what this pass is for); the variable keeps OpenBLAS from starting its workers.
  # history_size=7 (the largest): TSan keeps enough of each thread's past accesses to restore the
  # stack of the earlier access in a report. With the default, a busy machine let TBB's completion
  # write to a parallel_for's wait node (on the caller's stack, reused after the loop returns) be
  # reported with "failed to restore the stack", so the tree_node suppression could not match it;
  # 10 of 60 runs of RecurrentSequence.SameBitsOnOneTwoAndFourThreads failed that way, 0 of 75 with it.
  (cd "$root/build-tsan" &&
    OPENBLAS_NUM_THREADS=1 \
    TSAN_OPTIONS="suppressions=$root/scripts/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:history_size=7" \
    ctest --output-on-failure --parallel "$(nproc)" -R "$TSAN_TESTS" ${CTEST_ARGS:-}) || status=$?
  echo "sanitize: TSan pass took $((SECONDS - start)) s$(report "$status")"
  return "$status"
}

case "$which" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
