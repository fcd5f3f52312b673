#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 10),
# seeded from ../shared/keras-files, tests/data/hostile and fuzz/corpus. Fails on any finding;
# a crashing input is left in build/fuzz/findings/<target>/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 3600 keras_zip
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(legacy_h5 weights_h5 keras_zip model_config idx tensor_file)
build=build/fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_COMPILER=clang++ -DTAPEGRAD_FUZZ=ON -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")
shared=../shared/keras-files
known=0 findings_total=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t findings=$build/findings/$t
  mkdir -p "$corpus" "$findings"
  seeds=(fuzz/corpus/$t)
  case $t in
    legacy_h5) seeds+=($shared/*_full.h5 $shared/*_weights.h5 $shared/*_noopt.h5 tests/data/hostile/*.h5) ;;
    weights_h5) seeds+=($shared/*.weights.h5 tests/data/hostile/*.weights.h5) ;;
    keras_zip) seeds+=($shared/*.keras tests/data/hostile/*.keras) ;;
    model_config) seeds+=(tests/data/arch tests/data/hostile/*.json) ;;
    idx) seeds+=(../shared/datasets/mnist/t10k-labels* tests/data/hostile/*ubyte*) ;;
    tensor_file) seeds+=(tests/data/hostile/*.h5) ;;
  esac
  n=0
  for s in "${seeds[@]}"; do
    [ -d "$s" ] && s=("$s"/*)
    for f in "${s[@]}"; do [ -f "$f" ] && cp -n "$f" "$corpus/seed_$(basename "$f")" && n=$((n + 1)); done
  done
  echo "== fuzz_$t: ${seconds}s, $n seed files =="
  # -rss_limit_mb bounds memory (the targets cap tensors at 256 MB); -timeout flags hangs. Fork mode
  # goes on after a crash, so that crashes inside libhdf5 itself (known: H5HG_read on corrupt
  # variable-length attributes; tapegrad contains them with its isolated load) do not hide ours.
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:detect_container_overflow=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/fuzz/fuzz_$t" "$corpus" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -max_len=4000000 \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$build/fuzz_$t.log" 2>&1
  set -e
  tail -n 5 "$build/fuzz_$t.log"
  # Every artifact is replayed: one whose sanitizer report starts inside libhdf5 is counted as a
  # known libhdf5 crash; any other (our code, libzip, zlib, nlohmann, a hang, a leak) is a finding.
  for a in "$findings"/crash-* "$findings"/timeout-* "$findings"/oom-* "$findings"/leak-*; do
    [ -e "$a" ] || continue
    rc=0
    report=$(ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:detect_container_overflow=0 \
      timeout 60 "$build/fuzz/fuzz_$t" "$a" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then  # fork mode names a job that died outside any input (e.g. at its end)
      echo "fuzz_$t: $a does not reproduce (a fork-mode job that died); kept as not-reproduced-*"
      mv "$a" "$findings/not-reproduced-$(basename "$a")"
      continue
    fi
    if [ "$rc" -eq 124 ] && [ "${TAPEGRAD_FUZZ_HANGS_FATAL:-1}" = 0 ]; then
      # A replay that still runs after 60 s has no sanitizer report to say where it hangs (libhdf5
      # 1.10's H5HG__protect loop is the known one); the CI smoke run reports it, a long run fails.
      echo "fuzz_$t: $a hangs on replay (unclassified; see issue 14's H5HG__protect loop); kept as hang-*"
      mv "$a" "$findings/hang-$(basename "$a")"
      continue
    fi
    frames=$(printf '%s\n' "$report" | grep -E '^ +#[0-9]+ ' | grep -v -E 'in (__interceptor|__asan|__sanitizer|fuzzer::)|in (memcpy|memmove|memset|malloc|calloc|realloc|free) ' | head -n 2 || true)
    if printf '%s\n' "$frames" | head -n 1 | grep -q 'libhdf5'; then
      known=$((known + 1))
      mv "$a" "$findings/known-libhdf5-$(basename "$a")"
    else
      echo "fuzz_$t: FINDING $a:"; printf '%s\n' "$report" | grep -E 'ERROR|SUMMARY|^ +#[0-9]' | head -n 20 || true
      findings_total=$((findings_total + 1))
    fi
  done
done
echo "fuzz: ${known} crashes inside libhdf5 (known; contained by the isolated load), ${findings_total} findings"
[ "$findings_total" -eq 0 ]
