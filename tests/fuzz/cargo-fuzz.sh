#!/usr/bin/env bash
# relgate's coverage-guided fuzz targets (cargo-fuzz / libFuzzer, in
# tests/fuzz/targets): builds them and runs each for a bounded time from
# its seed corpus (tests/fuzz/targets/seeds/<target>).
#
# Prints one line per target, `fuzz: OK cargo-fuzz <target> (<runs> runs)`
# or `fuzz: FAIL cargo-fuzz <target> <why>`, and exits non-zero when a
# target crashed (a panic, an abort, a sanitizer report, a hang past
# -timeout), or could not be built or run at all.
#
# Only stable Rust is needed: cargo-fuzz's nightly flags (-Zsanitizer,
# sanitizer coverage) are let through with RUSTC_BOOTSTRAP=1.
#
# Environment:
#   RELGATE_CARGO_FUZZ_SECONDS    seconds per target (default 30)
#   RELGATE_CARGO_FUZZ_TARGETS    targets to run, space-separated (default: all)
#   RELGATE_CARGO_FUZZ_SANITIZER  address (default) or none
#   RELGATE_CARGO_FUZZ_TIMEOUT    seconds one input may take before it counts as a
#                         hang (default 10)
#   RELGATE_CARGO_FUZZ_TARGET_DIR the build's target dir (default
#                         tests/fuzz/targets/target, apart from the main one)
#   RELGATE_CARGO_FUZZ_WORK       corpora, crashes and logs (default tests/fuzz/targets/.work)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FUZZ_DIR="$HERE/targets"
SECONDS_EACH="${RELGATE_CARGO_FUZZ_SECONDS:-30}"
SANITIZER="${RELGATE_CARGO_FUZZ_SANITIZER:-address}"
ONE_INPUT="${RELGATE_CARGO_FUZZ_TIMEOUT:-10}"
TARGET_DIR="${RELGATE_CARGO_FUZZ_TARGET_DIR:-$FUZZ_DIR/target}"
WORK="${RELGATE_CARGO_FUZZ_WORK:-$FUZZ_DIR/.work}"
ALL_TARGETS=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$FUZZ_DIR/Cargo.toml" | grep -v '^relgate-fuzz$')
TARGETS="${RELGATE_CARGO_FUZZ_TARGETS:-$ALL_TARGETS}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

log() { printf '==> %s %s\n' "$(date +%T)" "$*" >&2; }
fail_all() { # why: every target fails (nothing could be built or run)
  for t in $TARGETS; do echo "fuzz: FAIL cargo-fuzz $t $1"; done
  exit 1
}

T0=$SECONDS
mkdir -p "$WORK"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked >"$WORK/install.log" 2>&1 \
    || { tail -20 "$WORK/install.log" >&2; fail_all "(cargo-fuzz could not be installed: $WORK/install.log)"; }
fi

log "cargo fuzz build -O --sanitizer $SANITIZER ($(cargo fuzz --version))"
# shellcheck disable=SC2086
if ! (cd "$ROOT" && cargo fuzz build --fuzz-dir "$FUZZ_DIR" -O --sanitizer "$SANITIZER" \
      --target-dir "$TARGET_DIR" >"$WORK/build.log" 2>&1); then
  tail -30 "$WORK/build.log" >&2
  fail_all "(the build failed: $WORK/build.log)"
fi
log "built in $(( SECONDS - T0 )) s"

STATUS=0
for t in $TARGETS; do
  bin="$TARGET_DIR/$TRIPLE/release/$t"
  seeds="$FUZZ_DIR/seeds/$t"
  corpus="$WORK/corpus/$t"
  artifacts="$WORK/artifacts/$t"
  out="$WORK/$t.log"
  mkdir -p "$corpus" "$artifacts"
  if [ ! -x "$bin" ]; then
    echo "fuzz: FAIL cargo-fuzz $t (no binary $bin)"; STATUS=1; continue
  fi
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "fuzz: FAIL cargo-fuzz $t (no seed corpus in $seeds)"; STATUS=1; continue
  fi
  log "fuzzing $t for $SECONDS_EACH s"
  touch "$WORK/$t.start"
  # New inputs go to the work corpus (the first directory); the committed
  # seeds are only read. The outer timeout is a bound on the whole run, in
  # case libFuzzer itself never returns.
  timeout --kill-after=10 $(( SECONDS_EACH + ONE_INPUT + 60 )) \
    "$bin" "$corpus" "$seeds" -max_total_time="$SECONDS_EACH" -timeout="$ONE_INPUT" \
      -max_len=8192 -artifact_prefix="$artifacts/" -print_final_stats=1 >"$out" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$out" | tail -1)
  # What this run found (crashes of earlier runs stay, older than its start).
  crash=$(find "$artifacts" -type f -newer "$WORK/$t.start" 2>/dev/null | head -1)
  if [ "$rc" = 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
    echo "fuzz: OK cargo-fuzz $t ($runs runs)"
  else
    why="exit $rc"
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && why="did not finish in $(( SECONDS_EACH + ONE_INPUT + 60 )) s"
    [ -n "$crash" ] && why="$why, input $crash"
    [ -z "$runs" ] && why="$why, no run count"
    echo "fuzz: FAIL cargo-fuzz $t ($why; log $out)"
    grep -m3 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY" "$out" >&2 || tail -5 "$out" >&2
    STATUS=1
  fi
done
log "cargo-fuzz.sh done in $(( SECONDS - T0 )) s"
exit "$STATUS"
