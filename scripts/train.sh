#!/usr/bin/env bash
# The main job: builds tapegrad and trains the seed model on Fashion-MNIST.
# Extra arguments go to `tapegrad train` (e.g. --epochs 10 --threads 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target tapegrad_cli
exec build/release/tapegrad train "$@"
