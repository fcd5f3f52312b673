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
# -O1, as the sanitizers' docs suggest: at -O2 the instrumented GEMM kernels took 6-8 minutes to
# compile (35 s at -O1), most of the CI's time.
run_suite build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DTAPEGRAD_SANITIZE=ON -DTAPEGRAD_BUILD_EXAMPLES=OFF
echo "== release build =="
run_suite build/release -DCMAKE_BUILD_TYPE=Release
echo "== fuzzing smoke run (libFuzzer, ASan + UBSan; 10 s per target) =="
TAPEGRAD_FUZZ_HANGS_FATAL=0 bash scripts/fuzz.sh 10
