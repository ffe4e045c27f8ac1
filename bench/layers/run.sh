#!/usr/bin/env bash
# The layer-level benchmark (bench/layers/README.md): one forward + backward of the recurrent stacks
# of W1, W3 and W4 (and GRUs of the same shapes) alone, in oneDNN 2.6 (installed here by setup.sh),
# tapegrad and PyTorch, on 1 and 2 cores. Builds the programs, checks that oneDNN's and tapegrad's
# outputs and gradients agree with PyTorch's (refusing to time anything that disagrees), then times
# the three interleaved and prints one Markdown table (bench/layers/run_layers.py).
#
#   bench/layers/run.sh                      # 6 layers x 2 budgets, 2 rounds x 10 steps after 3 warm-up
#   bench/layers/run.sh --quick              # W1-LSTM, W1-GRU, W4-BiLSTM, 1 round x 5 steps after 1 warm-up
#   bench/layers/run.sh --check-only         # the correctness check alone
#   bench/layers/run.sh --layers W3-LSTM --cores 2 --rounds 3 --show-peer-bug
#
# Options after --quick are passed on and override it. BENCH_JOBS sets the build's parallelism.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
onednn_build="${ONEDNN_BENCH_BUILD_DIR:-$root/build-onednn}"
jobs="${BENCH_JOBS:-2}"

args=()
if [ "${1:-}" = --quick ]; then
  shift
  args=(--layers W1-LSTM,W1-GRU,W4-BiLSTM --rounds 1 --steps 5 --warmup 1)
fi

"$here/setup.sh"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$root")}" CCACHE_NOHASHDIR=1
fi
"$root/bench/build.sh" tapegrad >&2
cmake --build "$build" --parallel "$jobs" --target tapegrad_layers >&2
cmake -S "$here/onednn" -B "$onednn_build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build "$onednn_build" --parallel "$jobs" >&2

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cd "$here"
exec /usr/bin/python3 run_layers.py --onednn "$onednn_build/onednn_layers" --tapegrad "$build/bench/tapegrad_layers" \
  --pytorch "$here/pytorch_layers.py" --raw "$build/layers-raw.jsonl" "${args[@]}" "$@"
