#!/usr/bin/env bash
# make bench: runs every benchmark against the given build directory and
# prints their tables (ratios against baselines measured in the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
"$BUILD/bench_server" "$BUILD/maestro" "$BUILD/baseline_civetweb" "${WS_CONNECTIONS:-1000}"
for b in "$BUILD"/bench_*; do
  [[ -x "$b" && "$(basename "$b")" != bench_server ]] || continue
  echo
  "$b"
done
