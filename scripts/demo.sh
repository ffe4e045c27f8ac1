#!/usr/bin/env bash
# Builds the library and the demo only (not the test suite), then runs the demo: an attention
# seq2seq model trained on dates generated in code (examples/demo.cpp).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
TAPEGRAD_TARGETS=demo "$root/scripts/build.sh"
exec "${TAPEGRAD_BUILD_DIR:-$root/build}/examples/demo" "$@"
