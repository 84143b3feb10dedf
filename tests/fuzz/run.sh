#!/usr/bin/env bash
# Runs the libFuzzer harnesses of a fuzz build (cmake -DMAESTRO_FUZZ=ON).
#   tests/fuzz/run.sh BUILD_DIR 0     replay the committed corpus once (CI)
#   tests/fuzz/run.sh BUILD_DIR 60    fuzz each harness for 60 s
# FUZZERS="fuzz_sse fuzz_url" limits the run to some harnesses. New inputs
# found while fuzzing go to BUILD_DIR/fuzz-corpus/<harness> (never into the
# committed corpus: copy the interesting ones, or `-merge=1` them, by hand);
# crashes go to BUILD_DIR/fuzz-artifacts/. Exits non-zero when any harness
# crashes, leaks, times out or trips an invariant.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run.sh BUILD_DIR SECONDS}"
seconds="${2:-0}"
corpus="$here/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
names="${FUZZERS:-$(cd "$build" && ls fuzz_* 2>/dev/null | grep -v '\.' )}"
[[ -n "$names" ]] || { echo "run.sh: no harnesses in $build" >&2; exit 2; }
mkdir -p "$build/fuzz-artifacts"
# the harnesses' data directories (uploads, SQLite files) go away afterwards
export TMPDIR; TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/maestro-fuzz-run-XXXXXX")"
trap 'rm -rf "$TMPDIR"' EXIT
failed=()
for name in $names; do
  bin="$build/$name"
  [[ -x "$bin" ]] || { echo "run.sh: $bin missing" >&2; failed+=("$name"); continue; }
  seeds="$corpus/$name"
  [[ -d "$seeds" ]] || { echo "run.sh: no seed corpus $seeds" >&2; failed+=("$name"); continue; }
  log="$build/fuzz-artifacts/$name.log"
  start=${EPOCHREALTIME/./}
  if [[ "$seconds" == 0 ]]; then
    # every committed input once, no mutation: deterministic
    mapfile -t files < <(find "$seeds" -type f | sort)
    "$bin" -timeout=60 -rss_limit_mb=4096 "${files[@]}" >"$log" 2>&1
  else
    mkdir -p "$build/fuzz-corpus/$name"
    "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$name-" "$build/fuzz-corpus/$name" "$seeds" >"$log" 2>&1
  fi
  rc=$?
  ms=$(((${EPOCHREALTIME/./} - start) / 1000))
  took="$((ms / 1000)).$((ms % 1000 / 100))"
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $name (${took}s): see $log"
    grep -E "ERROR|invariant|SUMMARY|Test unit written" "$log" | head -8 | sed 's/^/    /'
    failed+=("$name")
  else
    execs=$(grep -oE '^(stat::number_of_executed_units|Executed) *:? *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    echo "ok   $name (${took}s${execs:+, $execs inputs})"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} harness(es) failed: ${failed[*]}"
  exit 1
fi
