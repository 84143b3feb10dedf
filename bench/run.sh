#!/usr/bin/env bash
# Builds and runs the benchmarks against a CMake build directory.
#   bench/run.sh [BUILD_DIR]        (make bench)
# Each bench/*.c is compiled against BUILD_DIR/libmaestro_core.a and run; the
# retrieval benchmark reads ../shared/eval (EVAL_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
EVAL_DIR=${EVAL_DIR:-../shared/eval}
OUT="$BUILD/bench"
mkdir -p "$OUT"
PKGS="jansson sqlite3 libsodium libcurl poppler-glib glib-2.0 gobject-2.0 libzip libxml-2.0 md4c md4c-html openblas"
CFLAGS="-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Isrc $(pkg-config --cflags $PKGS)"
LIBS="$BUILD/libmaestro_core.a $(pkg-config --libs $PKGS) -lcivetweb -lpthread -lm"
build_one() { # name [extra pkg-config packages]
  local name=$1; shift
  local extra_c="" extra_l=""
  if (($#)); then extra_c=$(pkg-config --cflags "$@"); extra_l=$(pkg-config --libs "$@"); fi
  cc $CFLAGS $extra_c -o "$OUT/$name" "bench/$name.c" $LIBS $extra_l
}
status=0
if [[ -f bench/retrieval.c ]]; then
  build_one retrieval
  echo "== retrieval quality (Cranfield, CISI) =="
  "$OUT/retrieval" --eval "$EVAL_DIR" || status=1
fi
if [[ -f bench/ingest.c ]]; then
  build_one ingest cairo
  echo "== ingestion throughput =="
  "$OUT/ingest" || status=1
fi
if [[ -f bench/search_scale.c ]]; then
  build_one search_scale
  echo "== search latency at 100k chunks =="
  "$OUT/search_scale" || status=1
fi
exit $status
