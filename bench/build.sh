#!/usr/bin/env bash
# Builds the benchmark programs: tapegrad (Release, -DTAPEGRAD_BUILD_BENCH=ON, tests and examples
# off) in build-bench/, and, unless the first argument is "tapegrad", the LibTorch peer in
# build-libtorch/. Incremental: a second call only rebuilds what changed.
#   bench/build.sh [all|tapegrad]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what="${1:-all}"
jobs="${BENCH_JOBS:-2}"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$root")}" CCACHE_NOHASHDIR=1
fi

# The peers are bench-only dependencies: PyTorch for Python (the runner itself runs on it) and LibTorch.
"$root/scripts/setup.sh" python3-torch $([ "$what" != tapegrad ] && echo libtorch-dev)

build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON \
  -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" --parallel "$jobs" --target tapegrad_workloads tapegrad_decoding sgemm_peak gemm_shapes

if [ "$what" != tapegrad ]; then
  libtorch_build="${LIBTORCH_BENCH_BUILD_DIR:-$root/build-libtorch}"
  cmake -S "$root/bench/libtorch" -B "$libtorch_build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
  cmake --build "$libtorch_build" --parallel "$jobs"
fi
