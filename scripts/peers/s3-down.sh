#!/bin/bash
# Stops the daemons s3-up.sh DIR started (by the pids in DIR/run/*.pid, nothing else) and
# removes DIR. Usage: s3-down.sh DIR
set -u
C=${1:?usage: s3-down.sh DIR}
[ -d "$C/run" ] || exit 0
pids=$(cat "$C"/run/*.pid 2>/dev/null)
for p in $pids; do kill "$p" 2>/dev/null; done
for _ in $(seq 1 50); do
  alive=0
  for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for p in $pids; do kill -9 "$p" 2>/dev/null; done
case "$C" in /tmp/*|"${TMPDIR:-/nonexistent}"/*) rm -rf "$C" ;; esac
exit 0
