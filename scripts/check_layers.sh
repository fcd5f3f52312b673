#!/usr/bin/env bash
# The layers of the design point downward: each folder includes only itself and the folders
# below it (core <- autograd <- ops <- summary <- nn <- io <- tools; distributed sits on nn).
# Prints every include that points up and exits 1 if there is one. Run by ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [core]="core"
  [autograd]="core autograd"
  [ops]="core autograd ops"
  [summary]="core autograd summary"
  [nn]="core autograd ops summary nn"
  [distributed]="core autograd ops summary nn distributed"
  [io]="core autograd ops summary nn io"
)
bad=0
for dir in "${!allowed[@]}"; do
  [ -d "$dir" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if ! grep -qw "$target" <<<"${allowed[$dir]}"; then
      echo "layering: $file includes $target/ (${dir}/ may include: ${allowed[$dir]})"
      bad=1
    fi
  done < <(grep -rnE '#include "[a-z_]+/' "$dir" --include='*.hpp' --include='*.cpp' || true)
done
[ $bad -eq 0 ] && echo "layering: every include points down"
exit $bad
