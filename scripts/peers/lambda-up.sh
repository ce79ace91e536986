#!/bin/bash
# Starts the local Lambda Runtime API emulator (npm @architect/sandbox 9.0.0, installed into
# scripts/peers/lambda-runtime/node_modules by npm from package-lock.json when missing) on
# free 127.0.0.1 ports, with a project in DIR whose only function is BOOTSTRAP behind
# unwrap-proxy.js (the sandbox wraps events in API Gateway v2 shape; the proxy unwraps them).
# POST http://127.0.0.1:PORT/invoke with an event as the body runs one invocation in a fresh
# BOOTSTRAP process. The sandbox hands the function the AWS_* credentials of this environment.
# Usage: lambda-up.sh DIR BOOTSTRAP   (stop with lambda-down.sh DIR)
# Writes DIR/env: SIREN_LAMBDA_HTTP=http://127.0.0.1:PORT; SIREN_RUNTIME_TRACE=DIR/trace.jsonl
# Exit 0 ready; 3 node/npm missing or the package cannot be installed; 1 failed.
set -eu
C=${1:?usage: lambda-up.sh DIR BOOTSTRAP}
B=${2:?usage: lambda-up.sh DIR BOOTSTRAP}
HERE=$(cd "$(dirname "$0")" && pwd)
P=$HERE/lambda-runtime
log() { echo "lambda-up: $*" >&2; }
command -v node >/dev/null && command -v npm >/dev/null || { log "node and npm are needed"; exit 3; }
mkdir -p "$C"
C=$(cd "$C" && pwd)
B=$(cd "$(dirname "$B")" && pwd)/$(basename "$B")
if [ ! -x "$P/node_modules/.bin/sandbox" ]; then
  log "installing @architect/sandbox (npm ci)"
  (cd "$P" && npm ci --no-audit --no-fund >"$C/npm.log" 2>&1) ||
    { log "npm ci failed (see $C/npm.log)"; exit 3; }
fi
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
HTTP=$(free_port); ARC=$(free_port)
while [ "$ARC" = "$HTTP" ]; do ARC=$(free_port); done
W=$C/project
rm -rf "$W"; mkdir -p "$W/src/plugins" "$W/build/http/post-invoke"
cp "$P/app.arc" "$W/"
cp "$P/src/plugins/c-runtime.js" "$W/src/plugins/"
ln -s "$P/node_modules" "$W/node_modules"
cat >"$W/build/http/post-invoke/bootstrap" <<WRAP
#!/bin/sh
SIREN_RUNTIME_TRACE='$C/trace.jsonl' exec node '$P/unwrap-proxy.js' '$B'
WRAP
chmod +x "$W/build/http/post-invoke/bootstrap"
: >"$C/trace.jsonl"
(cd "$W" && ARC_INTERNAL_PORT=$ARC AWS_EC2_METADATA_DISABLED=true \
   AWS_REGION=${AWS_REGION:-us-east-1} \
   exec node_modules/.bin/sandbox --port "$HTTP" --host 127.0.0.1 >"$C/sandbox.log" 2>&1) &
echo $! >"$C/sandbox.pid"
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$HTTP/"; then
    printf 'SIREN_LAMBDA_HTTP=http://127.0.0.1:%s\nSIREN_RUNTIME_TRACE=%s\n' "$HTTP" \
      "$C/trace.jsonl" >"$C/env"
    cat "$C/env"
    exit 0
  fi
  kill -0 "$(cat "$C/sandbox.pid")" 2>/dev/null || break
  sleep 0.2
done
log "the sandbox did not start (see $C/sandbox.log)"
exit 1
