#!/usr/bin/env bash
# Report generation: how long release gemba takes to write a "results"
# report of 10,000 and of 100,000 rows (XLSX and CSV, from SQLite, files
# on the local directory), and the server process's peak RSS (VmHWM of a
# fresh process that serves the request and runs the job); next to openpyxl
# in write-only mode writing the same rows from the same database (the
# yardstick: what a FastAPI service would use). Writes the table between the
# markers in bench/RESULTS.md.
#
# Usage: bash bench/report.sh
# Needs: python3 (openpyxl is installed from PyPI into a throwaway venv).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/gemba"
OUT=$(mktemp -d)
PORT=8091
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

python3 -m venv "$OUT/venv"
"$OUT/venv/bin/pip" install -q openpyxl
OPENPYXL=$("$OUT/venv/bin/python" -c 'import openpyxl; print(openpyxl.__version__)')

ROWS="| rows | format | gemba job (s) | request → ready (s) | gemba peak RSS (MiB) | file (MiB) |
|---:|---|---:|---:|---:|---:|"
YARD="| rows | openpyxl $OPENPYXL write-only (s) | its peak RSS (MiB) | gemba XLSX job (s) | gemba faster by |
|---:|---:|---:|---:|---:|"

for N in 10000 100000; do
  dir="$OUT/n$N"
  mkdir -p "$dir"
  export GEMBA_DATA_DIR="$dir" GEMBA_LOG=warn
  unset GEMBA_DATABASE_URL
  "$BIN" migrate >/dev/null
  sed "s/:N/$N/g" bench/load_report.sql |
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1], isolation_level=None).executescript(sys.stdin.read())' "$dir/gemba.db"
  echo "bench admin passphrase" | "$BIN" user create --email admin@bench.example --role admin >/dev/null
  for fmt in xlsx csv; do
    GEMBA_BIND="127.0.0.1:$PORT" GEMBA_JOB_WORKERS=1 GEMBA_JOB_POLL_MS=50 "$BIN" serve >/dev/null 2>&1 &
    PID=$!
    line=$(python3 - "$PORT" "$PID" "$N" "$fmt" <<'PY'
import json, sys, time, urllib.error, urllib.request
port, pid, n, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}/api/v1"
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")
for _ in range(200):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live"); break
    except Exception:
        time.sleep(0.05)
token = call("POST", "/auth/login", {"email": "admin@bench.example", "password": "bench admin passphrase"})["access_token"]
t0 = time.monotonic()
r = call("POST", "/reports", {"kind": "results", "format": fmt, "site_id": 1, "locale": "ko",
    "from": "2016-01-01T00:00:00Z", "to": "2025-12-31T00:00:00Z"}, token)
while r["status"] not in ("succeeded", "failed"):
    time.sleep(0.02)
    r = call("GET", f"/reports/{r['id']}", token=token)
wall = time.monotonic() - t0
assert r["status"] == "succeeded", r
assert r["progress"]["rows_written"] == n, r
from datetime import datetime
job = (datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["started_at"])).total_seconds()
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
print(f"{job:.2f} {wall:.2f} {int(hwm) / 1024:.1f} {r['size_bytes'] / 1048576:.1f}")
PY
)
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    read -r job wall rss size <<<"$line"
    echo "gemba $N rows $fmt: job ${job}s, request to ready ${wall}s, peak RSS ${rss} MiB, file ${size} MiB"
    ROWS="$ROWS
| $N | $fmt | $job | $wall | $rss | $size |"
    [ "$fmt" = xlsx ] && gemba_xlsx=$job
  done
  read -r n secs prss <<<"$("$OUT/venv/bin/python" bench/openpyxl_rows.py "$dir/gemba.db" "$OUT/openpyxl-$N.xlsx")"
  [ "$n" = "$N" ] || { echo "openpyxl wrote $n rows, expected $N" >&2; exit 1; }
  ratio=$(python3 -c "print(f'{$secs / max($gemba_xlsx, 0.01):.1f}×')")
  echo "openpyxl $N rows: ${secs}s, peak RSS ${prss} MiB (gemba faster by $ratio)"
  YARD="$YARD
| $N | $secs | $prss | $gemba_xlsx | $ratio |"
done

python3 - "$ROWS" "$YARD" "$(nproc)" <<'PY'
import re, sys, datetime
rows, yard, cores = sys.argv[1], sys.argv[2], sys.argv[3]
path = "bench/RESULTS.md"
text = open(path).read()
block = (f"<!-- report:begin -->\n`bash bench/report.sh`, {datetime.date.today()}, {cores} cores, release build, SQLite, local files.\n\n"
         f"{rows}\n\n{yard}\n<!-- report:end -->")
if "<!-- report:begin -->" in text:
    text = re.sub(r"<!-- report:begin -->.*<!-- report:end -->", lambda _: block, text, flags=re.S)
else:
    text += "\n## Reports (bench/report.sh)\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "written to bench/RESULTS.md"
