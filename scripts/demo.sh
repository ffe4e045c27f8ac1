#!/usr/bin/env bash
# Builds tapegrad and runs the demo: a small recurrent model trained on text generated in code.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
exec "${TAPEGRAD_BUILD_DIR:-$root/build}/examples/demo" "$@"
