#!/usr/bin/env bash
# The typed client check: generates TypeScript types from `gemba openapi`
# (openapi-typescript), type-checks the client with `tsc --strict` (and no
# casts or `any`), then runs its inspector script (openapi-fetch) against a
# live gemba on SQLite with the demo data.
#
# Usage: bash .ci/client.sh [path to the gemba binary]   (default: target/debug/gemba)
# Env:   GEMBA_CLIENT_PORT (8098)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-target/debug/gemba}")"
PORT="${GEMBA_CLIENT_PORT:-8098}"
DIR=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

command -v npm >/dev/null || { echo "Node.js 20 and npm are needed" >&2; exit 1; }
cd clients/typescript
npm ci --no-audit --no-fund --loglevel=error
"$BIN" openapi >openapi.json
npm run --silent generate
npm run --silent check
npm run --silent build
echo "types generated from gemba openapi; tsc --strict: no errors"

export GEMBA_DATA_DIR="$DIR" GEMBA_LOG=warn GEMBA_BIND="127.0.0.1:$PORT" GEMBA_SCHEDULER_INTERVAL_SECS=0
"$BIN" demo >/dev/null
"$BIN" serve >"$DIR/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
GEMBA_URL="http://127.0.0.1:$PORT" npm run --silent inspect
