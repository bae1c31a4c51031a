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

psql "$URL" -q <<'SQL'
\timing on
insert into sites (code, name, country_code, timezone, created_at, updated_at)
select 'SITE-' || g, 'Site ' || g, 'KR', 'Asia/Seoul', now(), now() from generate_series(1, 20) g;
insert into equipment (site_id, code, name, line, kind, status, created_at, updated_at)
select 1 + (g % 20), 'EQ-' || g, 'Machine ' || g, 'Line ' || (g % 7), 'press', 'active', now(), now()
from generate_series(1, 5000) g;
insert into plans (site_id, equipment_id, title, recurrence, due_time, window_hours, assignee_id, is_active, version, items, created_at, updated_at)
select e.site_id, e.id, 'Plan ' || g, '{"frequency":"daily","interval":1,"weekdays":[],"month_days":[],"start_date":"2026-01-01","end_date":null,"count":null}',
       '09:00:00', 4, null, true, 1,
       '[{"key":"p","label":"P","kind":"number","unit":null,"min":1.0,"max":2.0,"required":true}]', now(), now()
from generate_series(1, 10000) g join equipment e on e.id = 1 + (g % 5000);
insert into plan_versions (plan_id, version, items, created_at) select id, 1, items, now() from plans;
-- 100 schedules per plan, one a day from 2026-01-01 09:00 KST.
insert into schedules (plan_id, plan_version, site_id, equipment_id, assignee_id, due_at, window_ends_at, status, created_at, updated_at)
select p.id, 1, p.site_id, p.equipment_id, null,
       timestamptz '2026-01-01 00:00:00+00' + (d || ' days')::interval,
       timestamptz '2026-01-01 04:00:00+00' + (d || ' days')::interval,
       case when d < 60 then 'completed' else 'open' end, now(), now()
from plans p cross join generate_series(0, 99) d;
analyze;
select count(*) as schedules from schedules;
SQL

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
psql "$ADMIN" -qc "drop database if exists $DB with (force)"
