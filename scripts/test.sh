#!/usr/bin/env bash
# Builds tapegrad and runs every test: once optimised with -Werror, once under
# AddressSanitizer + UndefinedBehaviorSanitizer. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
run_suite() {  # build dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DTAPEGRAD_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900)
}
echo "== sanitizer build (address, undefined) =="
run_suite build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_SANITIZE=ON -DTAPEGRAD_BUILD_EXAMPLES=OFF
echo "== release build =="
run_suite build/release -DCMAKE_BUILD_TYPE=Release
