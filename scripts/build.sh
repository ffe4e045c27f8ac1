#!/usr/bin/env bash
# Installs what is missing, then configures and builds tapegrad (Release) in ./build: everything, or
# only the targets named in TAPEGRAD_TARGETS (e.g. TAPEGRAD_TARGETS=demo; scripts/demo.sh does).
# Extra arguments go to cmake's configure step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
build="${TAPEGRAD_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${TAPEGRAD_BUILD_TYPE:-Release}" "$@" >/dev/null
targets=()
for t in ${TAPEGRAD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" --parallel "$(nproc)" "${targets[@]}"
