#!/usr/bin/env bash
# Installs the Debian 12 packages tapegrad needs, only those that are missing.
#   scripts/setup.sh                  # what the library, its tests and examples need
#   scripts/setup.sh PACKAGE...       # that and more: bench/ asks for its peers this way
set -euo pipefail
packages=("$@"
  build-essential cmake pkg-config
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  libtbb-dev libfmt-dev googletest libgtest-dev libcli11-dev zlib1g-dev
  nlohmann-json3-dev  # options.json of AllenNLP's ELMo models (header-only)
  libhdf5-dev         # optional: without it the library builds, and ELMo's weights.hdf5 loader says so
  libopenmpi-dev openmpi-bin)  # MPI is optional (distributed/); installed so that its tests run in CI
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
