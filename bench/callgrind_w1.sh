#!/usr/bin/env bash
# Instructions executed by one steady-state W1 training step of tapegrad (forward, loss, backward,
# clipping, Adam), counted by callgrind: a regression figure free of the noise of this shared
# machine, whose speed drifts by 2x within minutes. Only the timed step is counted (after one
# warm-up step, which creates the gradients and Adam's buffers), on one thread. Prints the total,
# then the functions with the most instructions of their own. Takes minutes (valgrind is ~50x slower).
#   bench/callgrind_w1.sh [number of functions to list, default 25]
# Note: valgrind does not emulate AVX-512, so OpenBLAS picks its AVX2 kernels under callgrind; the
# count is comparable with itself, not with a native run's instruction mix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
top="${1:-25}"
"$root/bench/build.sh" tapegrad >&2

out="$build/callgrind.w1.out"
OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
  --toggle-collect='*bench::timed_step*' \
  "$build/bench/tapegrad_workloads" --workload W1 --steps 1 --warmup 1 --threads-config 1T >&2
total="$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
echo "W1, one tapegrad training step (1 thread): $total instructions ($(awk -v n="$total" 'BEGIN {printf "%.2f", n / 1e9}') G)"
echo "Top $top functions by own instructions (callgrind_annotate $out):"
callgrind_annotate --threshold=100 "$out" | grep -E '^ *[0-9,]+ \(' | head -n "$top"
