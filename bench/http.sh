#!/usr/bin/env bash
# The HTTP load benchmark of gemba on the large data set (20 sites, 5,000
# equipment, 10,000 plans, 1,000,000 schedules, 600,000 results):
#
#  1. loads the data (bench/load_pg.sql, bench/load_sqlite.sql) after
#     `gemba migrate`, into a fresh PostgreSQL database and a fresh SQLite file;
#  2. starts release gemba on each and drives five endpoints with 32
#     connections: the schedule list with plans and equipment embedded (a
#     random site), one schedule (random id), submitting a result (oha draws
#     at random, so bench/walk.rs walks the open schedules, each once), the
#     stats summary and the daily series (random sites and ranges),
#     /health/live (HTTP and middleware alone), and logs in (Argon2id) as
#     fast as it is answered; records requests/s, p50/p99 latency, status
#     codes and the server's peak RSS;
#  3. on PostgreSQL, drives bench/floor.rs with the same one-schedule
#     requests, gemba's layers added one at a time (sqlx alone, SeaORM,
#     gemba's router; the middleware is the rest), and a request without
#     token or database next to gemba's /health/live: what the stack itself
#     costs per request and what each layer adds;
#  4. on PostgreSQL, runs `pgbench -M prepared` (32 clients) with the SQL
#     statements each endpoint issues (bench/pgbench/*.sql, including the
#     per-request auth lookup) for the database's ceiling, and reports gemba's
#     requests/s as a share of it;
#  5. writes the tables between the markers in bench/RESULTS.md.
#
# gemba, oha, pgbench and PostgreSQL share this machine's cores. Connections
# to PostgreSQL use sslmode=disable on both sides (loopback).
#
# Usage: bash bench/http.sh [pg|sqlite|all] [seconds per run]
# GEMBA_BENCH_DAYS: days of schedules per plan (100: 1M schedules, the
# default; 300: 3M; 1000: 10M), all ending on 2026-04-10: more days are more
# history before the ranges the runs read, which hold the same rows.
# Needs: oha (`cargo install oha`), psql and pgbench, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-all}"
SECS="${2:-15}"
ADMIN="${GEMBA_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB=gemba_bench_http
DAYS="${GEMBA_BENCH_DAYS:-100}"
OPEN=$((DAYS - 40))
FIRST=$((DAYS > 100 ? DAYS - 100 : 0))
PG_URL="${ADMIN%/*}/$DB?sslmode=disable"
PORT=8090
B="http://127.0.0.1:$PORT/api/v1"
OUT=$(mktemp -d)
command -v oha >/dev/null || { echo "install oha first: cargo install oha --locked" >&2; exit 1; }

# walk.rs first: `cargo bench` builds gemba too, with the dev-dependencies'
# features, and leaves that build at target/release/gemba; `cargo build`
# after it puts back the plain release build, relinking it when the bench
# build replaced it (a few minutes with fat LTO).
cargo bench --quiet --bench walk --bench floor --no-run 2>/dev/null
cargo build --release --quiet
BIN=./target/release/gemba
WALK=$(ls -t target/release/deps/walk-* | grep -v '\.d$' | head -1)
FLOOR=$(ls -t target/release/deps/floor-* | grep -v '\.d$' | head -1)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  psql "$ADMIN" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

load() { # backend -> exports GEMBA_DATABASE_URL
  local backend=$1
  export GEMBA_LOG=warn GEMBA_DATA_DIR="$OUT/$backend"
  mkdir -p "$GEMBA_DATA_DIR"
  if [ "$backend" = pg ]; then
    psql "$ADMIN" -qc "drop database if exists $DB with (force)" >/dev/null
    psql "$ADMIN" -qc "create database $DB"
    export GEMBA_DATABASE_URL="$PG_URL"
    $BIN migrate >/dev/null
    sed "s/__DAYS__/$DAYS/g; s/__OPEN__/$OPEN/g; s/__FIRST__/$FIRST/g" bench/load_pg.sql | psql "$PG_URL" -q -f - >/dev/null
  else
    unset GEMBA_DATABASE_URL # the embedded default: $GEMBA_DATA_DIR/gemba.db
    $BIN migrate >/dev/null
    python3 - "$GEMBA_DATA_DIR/gemba.db" "$DAYS" "$OPEN" "$FIRST" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
sql = open("bench/load_sqlite.sql").read()
c.executescript(sql.replace("__DAYS__", sys.argv[2]).replace("__OPEN__", sys.argv[3]).replace("__FIRST__", sys.argv[4]))
PY
  fi
  $BIN rebuild-stats >/dev/null
  # the blocks were written after load_pg.sql's vacuum
  [ "$backend" = pg ] && psql "$PG_URL" -qc "vacuum analyze stats_blocks, stats_block_items"
  echo 'bench password 1234' | $BIN user create --email bench@factory.example --role admin >/dev/null
}

serve() {
  GEMBA_BIND=127.0.0.1:$PORT GEMBA_SCHEDULER_INTERVAL_SECS=0 $BIN serve >"$OUT/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
  TOKEN=$(curl -sf "$B/auth/login" -H 'content-type: application/json' \
    -d '{"email":"bench@factory.example","password":"bench password 1234"}' |
    python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
}

stop() {
  kill "$PID"
  wait "$PID" || true
  PID=
}

# oha run -> one JSON line in $OUT/<backend>.jsonl
# the largest resident set of the server while a run lasts, in KiB
sample_rss() { # file
  local max=0 r
  while [ -e "$OUT/sampling" ]; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$max" ] && max=$r
    sleep 0.1
  done
  echo "$max" >"$1"
}

drive() { # backend, name, command printing oha's JSON...
  local backend=$1 name=$2; shift 2
  touch "$OUT/sampling"
  sample_rss "$OUT/rss.$backend.$name" &
  local sampler=$!
  python3 bench/cpu.py snap "$OUT/cpu.before"
  "$@" >"$OUT/run.json"
  python3 bench/cpu.py snap "$OUT/cpu.after"
  rm -f "$OUT/sampling"
  wait "$sampler"
  python3 - "$OUT" "$backend" "$name" <<'PY' >>"$OUT/$backend.jsonl"
import json, subprocess, sys
out, backend, name = sys.argv[1:4]
d = json.load(open(f"{out}/run.json"))
d["name"] = name
d["rss_kib"] = int(open(f"{out}/rss.{backend}.{name}").read())
d["cpu"] = json.loads(subprocess.check_output(["python3", "bench/cpu.py", "diff", f"{out}/cpu.before", f"{out}/cpu.after"]))
print(json.dumps(d))
PY
}

# Open schedules of plans 1..5000 in random order, as URLs (pgbench's
# submits take plans 5001..10000).
open_urls() { # backend
  local q="select id from schedules where status = 'open' and plan_id <= 5000 order by random()"
  if [ "$1" = pg ]; then
    psql "$PG_URL" -Atc "$q"
  else
    python3 -c 'import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' \
      "$GEMBA_DATA_DIR/gemba.db" "$q"
  fi | sed "s|.*|$B/schedules/&/result|" >"$OUT/open.txt"
}

http_runs() { # backend
  local backend=$1
  local OHA=(oha -c 32 -z "${SECS}s" --no-tui --output-format json -H "authorization: Bearer $TOKEN")
  local SITE='([1-9]|1[0-9]|20)' DAY='(0[1-9]|1[0-9]|2[0-8])' HOUR='(0[0-9]|1[0-9]|2[0-3])'
  # warm the caches the same way for every run
  oha -c 8 -n 2000 --no-tui -H "authorization: Bearer $TOKEN" --rand-regex-url \
    "$B/schedules\?site_id=$SITE&due_from=2026-02-01T00:00:00Z&include=plan,equipment&limit=50" >/dev/null
  # A random site of the 20 (each site's pages compete for the cache).
  drive "$backend" list "${OHA[@]}" --rand-regex-url \
    "$B/schedules\?site_id=$SITE&due_from=2026-02-01T00:00:00Z&include=plan,equipment&limit=50"
  drive "$backend" get "${OHA[@]}" --rand-regex-url "$B/schedules/[1-9][0-9]{5}"
  # Every submit records another open schedule: walked in order, no repeats.
  open_urls "$backend"
  drive "$backend" put "$WALK" "$OUT/open.txt" 32 "$SECS" PUT '{"values":{"p":1.5}}' "$TOKEN"
  # A random site, from a random instant in Jan 1-9 to one in Apr 1-9 (2.7 to 3.3
  # months): inside the 100 days of the 1M data set (Jan 1 - Apr 10), so every
  # range is full of rows whatever GEMBA_BENCH_DAYS is.
  drive "$backend" stats "${OHA[@]}" --rand-regex-url \
    "$B/stats/summary\?site_id=$SITE&from=2026-01-0[1-9]T$HOUR:[0-5][0-9]:00Z&to=2026-04-0[1-9]T$HOUR:[0-5][0-9]:00Z"
  # A random site, a daily series from a date in January to one in March.
  drive "$backend" daily "${OHA[@]}" --rand-regex-url \
    "$B/stats/daily\?site_id=$SITE&from=2026-01-$DAY&to=2026-03-$DAY"
  # HTTP alone: no token, no database.
  drive "$backend" live "${OHA[@]}" "http://127.0.0.1:$PORT/health/live"
  # Logins: each hash takes 19 MiB (Argon2id), which must not stay resident.
  drive "$backend" login oha -c 32 -z "${SECS}s" --no-tui --output-format json -m POST \
    -H 'content-type: application/json' \
    -d '{"email":"bench@factory.example","password":"bench password 1234"}' "$B/auth/login"
}

# The stack's floor (bench/floor.rs: gemba's settings, pool and token key
# on the same database), one layer of gemba at a time: HTTP alone; one
# schedule through sqlx alone with a connection per statement (as SeaORM
# runs them) or one per request; through gemba's repositories (SeaORM);
# through gemba's router without its middleware.
floor_runs() {
  "$FLOOR" $((PORT + 1)) >"$OUT/floor.log" 2>&1 &
  PID=$!
  local F="http://127.0.0.1:$((PORT + 1))" ID='[1-9][0-9]{5}'
  for _ in $(seq 1 100); do curl -sf "$F/live" >/dev/null && break; sleep 0.1; done
  local OHA=(oha -c 32 -z "${SECS}s" --no-tui --output-format json -H "authorization: Bearer $TOKEN")
  drive pg floor_live "${OHA[@]}" "$F/live"
  drive pg floor_get "${OHA[@]}" --rand-regex-url "$F/schedules/$ID"
  drive pg floor_pinned "${OHA[@]}" --rand-regex-url "$F/pinned/$ID"
  drive pg floor_orm "${OHA[@]}" --rand-regex-url "$F/orm/$ID"
  drive pg floor_router "${OHA[@]}" --rand-regex-url "$F/api/v1/schedules/$ID"
  stop
}

pgbench_runs() {
  psql "$PG_URL" -qc "create sequence if not exists bench_put_seq"
  for w in list:list_schedules get:get_schedule put:put_result stats:stats_summary; do
    python3 bench/cpu.py snap "$OUT/cpu.before"
    # the planner settings of gemba's own connections (src/db.rs)
    PGOPTIONS='-c plan_cache_mode=force_generic_plan -c enable_memoize=off -c max_parallel_workers_per_gather=0' \
      pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -D days="$DAYS" -D open="$OPEN" \
      -l --log-prefix="$OUT/pgbench_log.${w%%:*}" \
      -f "bench/pgbench/${w#*:}.sql" "$PG_URL" 2>&1 |
      awk -v n="${w%%:*}" '/^tps/ {print n, $3} /number of transactions actually processed/ {print n "_n", $NF}' >>"$OUT/pgbench.txt"
    python3 bench/cpu.py snap "$OUT/cpu.after"
    # the database's own p99 with 32 clients: each transaction's latency (µs,
    # the third field of pgbench's per-transaction log)
    cat "$OUT/pgbench_log.${w%%:*}".* | python3 -c '
import sys
t = sorted(int(l.split()[2]) for l in sys.stdin)
print(sys.argv[1] + "_p99", t[int(0.99 * (len(t) - 1))] / 1000 if t else 0)' "${w%%:*}" >>"$OUT/pgbench.txt"
    python3 bench/cpu.py diff "$OUT/cpu.before" "$OUT/cpu.after" |
      python3 -c 'import json,sys; print(sys.argv[1] + "_pgcpu", json.load(sys.stdin)["postgres"])' "${w%%:*}" >>"$OUT/pgbench.txt"
  done
}

for backend in pg sqlite; do
  [ "$WHICH" = all ] || [ "$WHICH" = "$backend" ] || continue
  echo "== $backend: loading" >&2
  load "$backend"
  serve
  echo "== $backend: oha" >&2
  http_runs "$backend"
  stop
  if [ "$backend" = pg ]; then
    echo "== pg: the stack's floor" >&2
    floor_runs
    echo "== pg: pgbench" >&2
    pgbench_runs
  fi
done

python3 - "$OUT" "$SECS" "$(date -u +%Y-%m-%d)" "$DAYS" <<'PY'
import json, os, sys
out, secs, day, days = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
names = {
    "list": "GET /schedules?site_id={1..20}&include=plan,equipment&limit=50",
    "get": "GET /schedules/{id}",
    "put": "PUT /schedules/{id}/result (each open schedule once)",
    "stats": "GET /stats/summary (random site, ~3 months)",
    "daily": "GET /stats/daily (random site, ~2 months)",
    "live": "GET /health/live (no token, no database)",
    "login": "POST /auth/login (Argon2id, 19 MiB per hash)",
    "floor_live": "floor.rs: GET /live (no token, no database)",
    "floor_get": "floor.rs: GET /schedules/{id} (a connection per statement)",
    "floor_pinned": "floor.rs: GET /pinned/{id} (one connection per request)",
    "floor_orm": "floor.rs: GET /orm/{id} (gemba's repositories: SeaORM)",
    "floor_router": "floor.rs: GET /api/v1/schedules/{id} (gemba's router, no middleware)",
}
bench = {}
if os.path.exists(f"{out}/pgbench.txt"):
    for line in open(f"{out}/pgbench.txt"):
        k, v = line.split()
        bench[k] = float(v)
lines = [
    f"Run of {day} ({days} days per plan): oha (walk.rs for the submit), 32 connections, {secs} s per endpoint; pgbench -M prepared, 32 clients, "
    f"{secs} s per script. RSS: the server's largest resident set while the run lasted. CPU: "
    "user + system time of the gemba process (of floor.rs in its rows) and of all PostgreSQL processes over the run, "
    "divided by the requests (or pgbench transactions) completed. Share: 2xx answers per second "
    "over pgbench's transactions per second. pgbench p99: the database alone with 32 clients, the 99th "
    "percentile of its transactions' latencies (pgbench's per-transaction log).",
    "",
]
for backend, title in (("pg", "PostgreSQL"), ("sqlite", "SQLite")):
    path = f"{out}/{backend}.jsonl"
    if not os.path.exists(path):
        continue
    pg = backend == "pg"
    head = f"| {title} | req/s | p50 ms | p99 ms | status codes | RSS MiB | gemba CPU µs/req |"
    rule = "|---|---:|---:|---:|---|---:|---:|"
    if pg:
        head += " PG CPU µs/req | pgbench tps | pgbench p99 ms | PG CPU µs/txn (pgbench) | share of ceiling |"
        rule += "---:|---:|---:|---:|---:|"
    lines += [head, rule]
    for row in map(json.loads, open(path)):
        s, p, n = row["summary"], row["latencyPercentiles"], row["name"]
        server = "floor" if n.startswith("floor") else "gemba"
        dist = row.get("statusCodeDistribution", {})
        done = sum(dist.values()) or 1
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(dist.items()))
        rps = s["requestsPerSec"]
        # the share counts only answers that did the work (2xx): a PUT on an id
        # drawn twice is a cheap 409
        ok_rps = sum(v for k, v in dist.items() if k.startswith("2")) / s["total"]
        cells = (
            f"| {names[n]} | {rps:.0f} | {p['p50']*1000:.1f} | {p['p99']*1000:.1f} | {codes} "
            f"| {row['rss_kib']/1024:.1f} | {row['cpu'][server]*1e6/done:.0f} |"
        )
        if pg:
            cells += f" {row['cpu']['postgres']*1e6/done:.0f} |"
            if n in bench:
                per_txn = bench[f"{n}_pgcpu"] * 1e6 / bench[f"{n}_n"]
                cells += f" {bench[n]:.0f} | {bench[f'{n}_p99']:.1f} | {per_txn:.0f} | {100*ok_rps/bench[n]:.0f} % |"
            else:
                cells += " | | | |"
        lines.append(cells)
    lines.append("")
text = "\n".join(lines)
print(text)
path = "bench/RESULTS.md"
doc = open(path).read()
begin, end = "<!-- http.sh:begin -->", "<!-- http.sh:end -->"
if begin in doc and end in doc:
    doc = doc[: doc.index(begin) + len(begin)] + "\n" + text + "\n" + doc[doc.index(end):]
    open(path, "w").write(doc)
PY
