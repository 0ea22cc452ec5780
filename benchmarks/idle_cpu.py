#!/usr/bin/env python3
"""Idle CPU and memory of a running gateway, read from /proc (Linux only).

    python3 idle_cpu.py --pid PID [--seconds 30] [--label ours] [--json out.json]
    python3 idle_cpu.py --report ours.json anchor.json

The first form sums utime+stime (and the reaped children's cutime+cstime) over
the process tree rooted at PID at the start and at the end of the window and
reports the difference as a percentage of one core (100 = one core busy).  It
also reads the tree's RSS/PSS at both ends.  Nothing connects to the gateway:
this is what it costs while no client is talking to it (timers, ticks, log
flushing, maintenance loops).

The second form prints a markdown table of two result files with the ratio
first/second.  Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()
    # after "pid (comm) ": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
    return {"ppid": int(fields[1]), "ticks": sum(int(x) for x in fields[11:15])}


def tree(root):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                children.setdefault(st["ppid"], []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
            todo.extend(children.get(p, []))
    return out


def _kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def snapshot(root):
    pids = tree(root)
    ticks = sum((_stat(p) or {"ticks": 0})["ticks"] for p in pids)
    return {"t": time.monotonic(), "cpu_s": ticks / CLK_TCK, "procs": len(pids),
            "rss_kb": sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids),
            "pss_kb": sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)}


def measure(pid, seconds, samples):
    if not os.path.exists(f"/proc/{pid}"):
        raise SystemExit(f"no process {pid}")
    first = snapshot(pid)
    per_slice, prev = [], first
    step = seconds / max(1, samples)
    for _ in range(max(1, samples)):
        time.sleep(step)
        cur = snapshot(pid)
        dt = cur["t"] - prev["t"]
        per_slice.append(round((cur["cpu_s"] - prev["cpu_s"]) / dt * 100.0, 3) if dt > 0 else None)
        prev = cur
    wall = prev["t"] - first["t"]
    cpu = prev["cpu_s"] - first["cpu_s"]
    return {"pid": pid, "window_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "idle_cpu_pct": round(cpu / wall * 100.0, 3) if wall > 0 else None,
            "slice_cpu_pct": per_slice, "procs": prev["procs"],
            "rss_start_kb": first["rss_kb"], "rss_end_kb": prev["rss_kb"],
            "pss_start_kb": first["pss_kb"], "pss_end_kb": prev["pss_kb"],
            "clk_tck": CLK_TCK}


def report(files):
    runs = []
    for fn in files:
        with open(fn) as f:
            d = json.load(f)
        runs.append((d.get("label") or fn, d))
    keys = ["idle_cpu_pct", "cpu_s", "window_s", "rss_start_kb", "rss_end_kb", "pss_end_kb", "procs"]
    print("| metric | " + " | ".join(lbl for lbl, _ in runs) + (" | first/second |" if len(runs) == 2 else " |"))
    print("|---" * (len(runs) + 1 + (len(runs) == 2)) + "|")
    for k in keys:
        vals = [d.get(k) for _, d in runs]
        line = f"| idle/{k} | " + " | ".join("-" if v is None else f"{v:g}" for v in vals)
        if len(runs) == 2:
            x, y = vals
            line += " | " + (f"{x / y:.2f}" if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y
                             else "-")
        print(line + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--samples", type=int, default=6, help="sub-windows recorded in slice_cpu_pct")
    ap.add_argument("--label", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--report", nargs="+", metavar="FILE", help="print a table of result files instead")
    a = ap.parse_args(argv)
    if a.report:
        report(a.report)
        return 0
    if not a.pid:
        ap.error("--pid is required")
    res = {"tool": "idle_cpu", "label": a.label, **measure(a.pid, a.seconds, a.samples)}
    print(f"idle_cpu {a.label or a.pid}: {res['idle_cpu_pct']}% of one core over {res['window_s']} s "
          f"(slices {res['slice_cpu_pct']}), rss {res['rss_start_kb']}->{res['rss_end_kb']} KiB, "
          f"{res['procs']} process(es)", file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
