"""The yardstick for bench/report.sh: the same rows gemba's "results" report
holds, read from the same SQLite file and written by openpyxl in write-only
mode (its fastest, streaming mode), with a bold header and date cells.
Prints seconds and peak RSS (MiB)."""
import resource
import sqlite3
import sys
import time
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

db, out = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
c = sqlite3.connect(db)
rows = c.execute(
    """select s.id, s.due_at, e.code, e.name, p.title, v.item_key, '유압', v.number_value,
              'MPa', case when v.passed then '합격' else '불합격' end, null, r.submitted_at
       from result_values v join results r on r.id = v.result_id
       join schedules s on s.id = r.schedule_id join equipment e on e.id = s.equipment_id
       join plans p on p.id = s.plan_id where v.site_id = 1 order by v.due_at, v.id"""
)
wb = Workbook(write_only=True)
ws = wb.create_sheet("점검결과")
ws.freeze_panes = "A2"
bold = Font(bold=True)
header = []
for h in ["일정 ID", "예정일시", "설비 코드", "설비", "점검 계획", "항목 키", "항목", "측정값", "단위", "판정", "점검자", "제출일시"]:
    cell = WriteOnlyCell(ws, value=h)
    cell.font = bold
    header.append(cell)
ws.append(header)
n = 0
for r in rows:
    r = list(r)
    r[1] = datetime.fromisoformat(r[1]).replace(tzinfo=None)
    r[11] = datetime.fromisoformat(r[11]).replace(tzinfo=None)
    ws.append(r)
    n += 1
wb.save(out)
secs = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{n} {secs:.2f} {rss:.1f}")
