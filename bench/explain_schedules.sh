#!/usr/bin/env bash
# Loads a large data set into a fresh PostgreSQL database through gemba's
# own migrations (20 sites, 5,000 equipment, 10,000 plans, 1,000,000
# schedules) and prints EXPLAIN ANALYZE for the query behind
# GET /schedules?site_id=…&due_from=…&due_to=…&limit=50 (keyset order).
#
# Usage: bash bench/explain_schedules.sh [admin-url]   (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN="${1:-postgres://postgres@127.0.0.1:5432/postgres}"
DB=gemba_bench
BASE="${ADMIN%/*}"
URL="$BASE/$DB"

psql "$ADMIN" -qc "drop database if exists $DB with (force)"
psql "$ADMIN" -qc "create database $DB"
cargo build --release --quiet
GEMBA_DATABASE_URL="$URL" GEMBA_LOG=warn ./target/release/gemba migrate >/dev/null

psql "$URL" -q -f bench/load_pg.sql

echo
echo "EXPLAIN ANALYZE: GET /schedules?site_id=7&due_from=2026-02-01&due_to=2026-02-08&limit=50"
psql "$URL" -c "explain (analyze, buffers)
select * from schedules
where site_id = 7 and due_at >= '2026-02-01T00:00:00+00:00' and due_at < '2026-02-08T00:00:00+00:00'
order by due_at asc, id asc limit 51"
echo "EXPLAIN ANALYZE: the next page (keyset cursor)"
psql "$URL" -c "explain (analyze, buffers)
select * from schedules
where site_id = 7 and due_at >= '2026-02-01T00:00:00+00:00' and due_at < '2026-02-08T00:00:00+00:00'
  and (due_at > '2026-02-01T00:00:00+00:00' or (due_at = '2026-02-01T00:00:00+00:00' and id > 250000))
order by due_at asc, id asc limit 51"
echo "EXPLAIN ANALYZE: the three aggregates of GET /stats/summary?site_id=7 over three months"
for q in \
  "select status, count(*) from schedules where due_at >= '2026-01-01' and due_at < '2026-04-01' and site_id = 7 group by status" \
  "select count(*), sum(case when passed then 1 else 0 end) from results where due_at >= '2026-01-01' and due_at < '2026-04-01' and site_id = 7" \
  "select plan_id, item_key, count(number_value), sum(number_value), avg(number_value), min(number_value), max(number_value) from result_values where due_at >= '2026-01-01' and due_at < '2026-04-01' and site_id = 7 and number_value is not null group by plan_id, item_key order by plan_id, item_key"; do
  psql "$URL" -c "explain (analyze, buffers) $q" | grep -E "Scan|Execution"
done
[ -n "${KEEP:-}" ] || psql "$ADMIN" -qc "drop database if exists $DB with (force)"
