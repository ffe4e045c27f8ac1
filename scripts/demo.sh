#!/usr/bin/env bash
# Builds the library and the demo only (not the test suite), then runs the demo: a small recurrent
# model trained on text generated in code.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
TAPEGRAD_TARGETS=demo "$root/scripts/build.sh"
exec "${TAPEGRAD_BUILD_DIR:-$root/build}/examples/demo" "$@"
