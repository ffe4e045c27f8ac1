#!/usr/bin/env bash
# Installs the layer benchmark's oneDNN peer: Debian's libdnnl-dev (oneDNN 2.6.3 on bookworm), a
# bench-only dependency. Called by bench/layers/run.sh; never by scripts/setup.sh or the library's
# CMake (it asks scripts/setup.sh, which installs only what is missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/scripts/setup.sh" libdnnl-dev python3-torch
# onednn_layers.cpp uses oneDNN 2.x's operation descriptors (dnnl::lstm_forward::desc), gone in 3.0.
version=$(awk '/define DNNL_VERSION_(MAJOR|MINOR|PATCH)/ {printf "%s%s", sep, $3; sep="."}' \
  /usr/include/oneapi/dnnl/dnnl_version.h)
case "$version" in
  2.*) echo "oneDNN $version" >&2 ;;
  *) echo "oneDNN $version found; bench/layers/onednn needs a 2.x release (written for 2.6.3)" >&2; exit 1 ;;
esac
