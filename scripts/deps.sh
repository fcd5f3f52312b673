#!/usr/bin/env bash
# Installs the Debian packages tapegrad needs, if any is missing; silent when all are present.
# Usage: scripts/deps.sh [extra packages...]
set -euo pipefail
pkgs=(cmake g++ ninja-build pkg-config libxsimd-dev libtbb-dev libboost-test-dev libhdf5-dev
      nlohmann-json3-dev zlib1g-dev libzip-dev libprotobuf-dev protobuf-compiler dataset-fashion-mnist
      libopenmpi-dev openmpi-bin clang libclang-rt-14-dev "$@")  # clang + its runtimes: libFuzzer for scripts/fuzz.sh
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tapegrad: installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
