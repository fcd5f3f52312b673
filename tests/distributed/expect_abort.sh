#!/usr/bin/env bash
# Runs an MPI job that must fail: passes when it ends with a non-zero exit within LIMIT seconds
# and its output contains PATTERN (the message naming the failing rank).
# Usage: expect_abort.sh LIMIT PATTERN command...
set -uo pipefail
limit=$1 pattern=$2
shift 2
start=$(date +%s)
out=$(timeout --kill-after=5 "$((limit + 30))" "$@" 2>&1)
rc=$?
elapsed=$(($(date +%s) - start))
echo "$out"
echo "exit code $rc after ${elapsed}s"
[ "$rc" -ne 0 ] || { echo "FAILED: the job exited 0"; exit 1; }
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || { echo "FAILED: the job hung"; exit 1; }
[ "$elapsed" -le "$limit" ] || { echo "FAILED: took ${elapsed}s, more than ${limit}s"; exit 1; }
grep -qE "$pattern" <<<"$out" || { echo "FAILED: no line matches '$pattern'"; exit 1; }
echo "passed"
