#!/usr/bin/env bash
# The benchmark in one command: builds tapegrad and the LibTorch peer, measures the sgemm peak, runs
# W1-W7 for tapegrad, PyTorch (Python) and LibTorch (C++) on 1 and 2 cores, interleaved over
# repeated rounds, and prints one Markdown table (bench/runner.py). Exits non-zero if a run fails,
# a loss does not decrease, or the implementations disagree on the first step's loss.
#
#   bench/run.sh                                   # everything: 2 rounds x 20 steps (~50 min when quiet, half of it W7)
#   bench/run.sh --quick                           # W1, W5, W6, 1 round x 10 steps (a few minutes)
#   bench/run.sh --workloads W1,W4 --steps 30 --rounds 3 --cores 2 --impls tapegrad,pytorch
#   bench/run.sh --workloads W7                    # ELMo's biLM alone
#   bench/run.sh --decoding [options]              # the decoding benchmark instead (bench/decoding/run.sh:
#                                                  # greedy and beam-5 sentences/s with W5's model)
#
# Options after --quick are passed on and override it. The JSON line of every run is appended to
# build-bench/bench-raw.jsonl.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
libtorch_build="${LIBTORCH_BENCH_BUILD_DIR:-$root/build-libtorch}"

if [ "${1:-}" = --decoding ]; then
  shift
  exec "$root/bench/decoding/run.sh" "$@"
fi

args=()
if [ "${1:-}" = --quick ]; then
  shift
  args=(--workloads W1,W5,W6 --steps 10 --rounds 1)
fi

"$root/bench/build.sh" all >&2
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cd "$root/bench"
exec /usr/bin/python3 runner.py \
  --tapegrad "$build/bench/tapegrad_workloads" --sgemm "$build/bench/sgemm_peak" \
  --libtorch "$libtorch_build/libtorch_workloads" --pytorch "$root/bench/pytorch/workloads.py" \
  --raw "$build/bench-raw.jsonl" "${args[@]}" "$@"
