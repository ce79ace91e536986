#!/bin/bash
# Stops the sandbox lambda-up.sh DIR started (by its pid in DIR/sandbox.pid only).
# Usage: lambda-down.sh DIR
set -u
C=${1:?usage: lambda-down.sh DIR}
[ -f "$C/sandbox.pid" ] || exit 0
p=$(cat "$C/sandbox.pid")
kill "$p" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
kill -9 "$p" 2>/dev/null
rm -f "$C/sandbox.pid"
exit 0
