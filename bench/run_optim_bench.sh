#!/usr/bin/env bash
# Optimizer update benchmark: tapegrad (bench/optim_bench.cpp) against torch.optim
# (bench/optim_bench.py, foreach off and on), interleaved round by round so that both see the same
# machine, with a STREAM-like copy/triad in the same run. Prints a markdown table for RESULTS.md.
#
#     bench/run_optim_bench.sh [rounds=3] [steps=30]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-3}"
steps="${2:-30}"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
# Only the optim_bench target is built, so an existing build folder can be reused.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target optim_bench >/dev/null
out="$(mktemp)"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    for size in 1000000 10000000; do
      common=(--size "$size" --threads "$threads" --steps "$steps" --warmup 5)
      for kernel in copy triad sgd_momentum adam; do
        "$build/bench/optim_bench" --kernel "$kernel" "${common[@]}" >>"$out"
      done
      for kernel in sgd_momentum adam; do
        for foreach in 0 1; do
          /usr/bin/python3 "$root/bench/optim_bench.py" --kernel "$kernel" --foreach "$foreach" "${common[@]}" >>"$out"
        done
      done
    done
  done
  echo "round $round of $rounds done" >&2
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "command: bench/run_optim_bench.sh $rounds $steps (raw JSON lines: $out)"
echo
/usr/bin/python3 "$root/bench/optim_bench.py" --report "$out"
