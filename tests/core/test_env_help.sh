#!/usr/bin/env bash
# Every SIREN_* environment variable the code reads (getenv("SIREN_...") in cmd/, core/, emu/,
# sched/, datasets/, lambda_port/ and bench/) is described in the environment section of
# `siren --help`, and every variable that section lists is read somewhere: the list and the
# code cannot drift apart. Needs SIREN_BIN and SIREN_SOURCE_DIR (set by ctest).
# Exit 0 passed, 1 failed.
set -uo pipefail

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

bin=${SIREN_BIN:-}
src=${SIREN_SOURCE_DIR:-}
[ -x "$bin" ] || fail "SIREN_BIN is not an executable siren binary ('$bin')"
[ -d "$src/core" ] || fail "SIREN_SOURCE_DIR is not the source tree ('$src')"

read_names=$(cd "$src" && grep -rhoE 'getenv\( *"SIREN_[A-Z0-9_]+"' \
               cmd core emu sched datasets lambda_port bench --include='*.c' --include='*.h' |
             grep -oE 'SIREN_[A-Z0-9_]+' | sort -u)
[ -n "$read_names" ] || fail "no getenv(\"SIREN_...\") found under $src"

help=$("$bin" --help) || fail "siren --help exited with status $?"
listed=$(printf '%s\n' "$help" | sed -n '/^environment:/,$p' | grep -oE '^  SIREN_[A-Z0-9_]+' |
         tr -d ' ' | sort -u)
[ -n "$listed" ] || fail "siren --help has no environment section listing SIREN_* variables"

status=0
for name in $read_names; do
  if ! printf '%s\n' "$listed" | grep -qx "$name"; then
    echo "FAILED: $name is read by the code but not described by siren --help" >&2
    status=1
  fi
done
for name in $listed; do
  if ! printf '%s\n' "$read_names" | grep -qx "$name"; then
    echo "FAILED: siren --help describes $name, which no code reads" >&2
    status=1
  fi
done
[ "$status" = 0 ] && echo "all $(echo "$read_names" | wc -l) SIREN_* variables the code reads are in siren --help"
exit "$status"
