"""CPU seconds (user + system) used by gemba, by PostgreSQL and by the stack's
floor (bench/floor.rs).

`python3 bench/cpu.py snap FILE` saves the totals now; `python3 bench/cpu.py
diff A B` prints, as JSON, the seconds each used between two snapshots.
A group's total sums its live processes' own and reaped children's times, so
PostgreSQL backends that exit in between (pgbench's) still count: the
postmaster inherits their times when it reaps them.
"""
import json
import os
import sys

GROUPS = ("gemba", "postgres", "floor")
TICK = os.sysconf("SC_CLK_TCK")


def totals():
    used = {g: 0 for g in GROUPS}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        group = next((g for g in GROUPS if comm.startswith(g)), None)
        if group:
            # utime, stime, cutime, cstime
            used[group] += sum(int(f) for f in fields[11:15])
    return used


if sys.argv[1] == "snap":
    json.dump(totals(), open(sys.argv[2], "w"))
else:
    a, b = (json.load(open(p)) for p in sys.argv[2:4])
    print(json.dumps({g: (b[g] - a[g]) / TICK for g in GROUPS}))
