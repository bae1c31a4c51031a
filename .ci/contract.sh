#!/usr/bin/env bash
# The contract check: serves gemba on SQLite with the demo data and runs
# schemathesis (every phase, every check) against /openapi.json with an
# admin token and a fixed seed. Fails when schemathesis finds anything.
# Every check is on through .ci/schemathesis.toml ([checks] enabled = true,
# the same as --checks all); the flag itself is not passed because it
# would override the one documented per-operation exception there.
#
# Usage: bash .ci/contract.sh [path to the gemba binary]   (default: target/debug/gemba)
# Env:   GEMBA_CONTRACT_PORT (8097), GEMBA_CONTRACT_SEED (20261122),
#        GEMBA_CONTRACT_EXAMPLES (max examples per operation, 60)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/gemba}"
PORT="${GEMBA_CONTRACT_PORT:-8097}"
SEED="${GEMBA_CONTRACT_SEED:-20261122}"
EXAMPLES="${GEMBA_CONTRACT_EXAMPLES:-60}"
DIR=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

export GEMBA_DATA_DIR="$DIR" GEMBA_LOG=warn GEMBA_BIND="127.0.0.1:$PORT" \
  GEMBA_SCHEDULER_INTERVAL_SECS=0 GEMBA_ACCESS_TOKEN_TTL_SECS=86400 \
  GEMBA_JWT_SECRET="contract-check-secret-contract-check!"
"$BIN" demo >/dev/null
echo 'contract password 2026' | "$BIN" user create --email contract@factory.example --role admin >/dev/null
"$BIN" serve >"$DIR/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"contract@factory.example","password":"contract password 2026"}' |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')

set +e
schemathesis --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/openapi.json" \
  --seed "$SEED" --max-examples "$EXAMPLES" \
  --header "Authorization: Bearer $TOKEN" \
  --report ndjson --report-dir "$DIR/report" --no-color 2>&1 | tee "$DIR/schemathesis.txt"
rc=${PIPESTATUS[0]}
set -e
if grep -q ' 5[0-9][0-9] ' "$DIR/serve.log"; then echo "--- server log:"; tail -n 40 "$DIR/serve.log"; fi
exit "$rc"
