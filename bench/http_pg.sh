#!/usr/bin/env bash
# HTTP load on release gemba over PostgreSQL with the large data set
# (bench/load_pg.sql): oha, 32 connections, per endpoint requests/s,
# p50/p99 latency and the server's peak RSS. Needs `cargo install oha`.
#
# Usage: bash bench/http_pg.sh [admin-url] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN="${1:-postgres://postgres@127.0.0.1:5432/postgres}"
SECONDS_PER_RUN="${2:-15}"
DB=gemba_bench_http
URL="${ADMIN%/*}/$DB"
PORT=8090
command -v oha >/dev/null || { echo "install oha first: cargo install oha"; exit 1; }

psql "$ADMIN" -qc "drop database if exists $DB with (force)"
psql "$ADMIN" -qc "create database $DB"
cargo build --release --quiet
export GEMBA_DATABASE_URL="$URL" GEMBA_LOG=warn GEMBA_DATA_DIR="$(mktemp -d)"
./target/release/gemba migrate >/dev/null
psql "$URL" -q -f bench/load_pg.sql >/dev/null
echo 'bench password 1234' | ./target/release/gemba user create --email bench@factory.example --role admin >/dev/null

GEMBA_BIND=127.0.0.1:$PORT GEMBA_SCHEDULER_INTERVAL_SECS=0 GEMBA_DB_MAX_CONNECTIONS=32 \
  ./target/release/gemba serve >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; psql "$ADMIN" -qc "drop database if exists $DB with (force)" || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@factory.example","password":"bench password 1234"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
B="http://127.0.0.1:$PORT/api/v1"

run() { # name, extra oha args...
  local name="$1"; shift
  local out
  out=$(oha -c 32 -z "${SECONDS_PER_RUN}s" --no-tui --output-format json -H "authorization: Bearer $TOKEN" "$@")
  python3 - "$name" "$out" <<'PY'
import json, sys
name, data = sys.argv[1], json.loads(sys.argv[2])
s, p = data["summary"], data["latencyPercentiles"]
codes = data.get("statusCodeDistribution", {})
print(f"| {name} | {s['requestsPerSec']:.0f} | {p['p50']*1000:.2f} | {p['p99']*1000:.2f} | {codes} |")
PY
}

echo "| endpoint (PostgreSQL, 32 connections, ${SECONDS_PER_RUN}s) | req/s | p50 ms | p99 ms | status codes |"
echo "|---|---:|---:|---:|---|"
run "GET /schedules?site_id&include=plan,equipment&limit=50" "$B/schedules?site_id=7&due_from=2026-02-01T00:00:00Z&include=plan,equipment&limit=50"
run "GET /schedules/{id}" "$B/schedules/123456"
# Open schedules have ids ending in 61..99 (see load_pg.sql); each id accepts one result.
run "PUT /schedules/{id}/result" -m PUT -T application/json -d '{"values":{"p":1.5}}' --rand-regex-url "$B/schedules/[1-9][0-9]{3}[6-9][1-9]/result"
run "GET /stats/summary" "$B/stats/summary?site_id=7&from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z"
echo
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$PID/status)"
