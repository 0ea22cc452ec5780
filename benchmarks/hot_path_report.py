"""
The table of a C{hot_path_bench.sh} run: each kind's figures (median over rounds)
and ratios to the anchor (the real OpenClaw) and to the raw echo ceiling.

    python3 benchmarks/hot_path_report.py benchmarks/results/hot-YYYYmmdd-HHMMSS
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

#: (label, file part, path into the JSON, higher is better)
METRICS = [
    ("last-heartbeat req/s, 16 conns", "load", ("scenarios", "rpc", "last-heartbeat", "c16_rps"), True),
    ("last-heartbeat server CPU ms/req", "load", ("scenarios", "rpc", "last-heartbeat", "c16_server_cpu_ms_per_req"), False),
    ("last-heartbeat p50 ms", "load", ("scenarios", "rpc", "last-heartbeat", "c16_p50_ms"), False),
    ("health req/s, 16 conns", "load", ("scenarios", "rpc", "health", "c16_rps"), True),
    ("health server CPU ms/req", "load", ("scenarios", "rpc", "health", "c16_server_cpu_ms_per_req"), False),
    ("handshakes/s, 16 connectors", "load", ("scenarios", "handshake", "c16_hs_per_s"), True),
    ("handshake server CPU ms", "load", ("scenarios", "handshake", "c16_server_cpu_ms_per_hs"), False),
    ("broadcast to K: all received p50 ms", "fanout", ("all_received_p50_ms",), False),
    ("broadcast to K: server CPU s (all triggers)", "fanout", ("server_cpu_s",), False),
]


def dig(data, path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def idle_rows(directory: Path, kind: str) -> list[dict]:
    """Per idle-conns round: RSS before, with K open, after close; bytes per connection."""
    rows = []
    for path in sorted(directory.glob(f"{kind}-conns-r*.json")):
        scenario = json.loads(path.read_text())["scenarios"].get("idle-conns", {})
        for k, result in scenario.items():
            if not isinstance(result, dict):  # the harness's note of a failed scenario
                rows.append({"file": path.stem, "k": k, "rep": "failed", "opened": result})
                continue
            for n, rep in enumerate(result.get("per_rep", []), 1):
                rows.append({"file": path.stem, "k": k, "rep": n, **rep})
    return rows


def main(argv=None) -> int:
    directory = Path((argv or sys.argv[1:])[0])
    kinds = sorted({p.name.split("-")[0] for p in directory.glob("*-r*.json")},
                   key=lambda k: ["ours", "base", "raw", "anchor"].index(k) if k in ("ours", "base", "raw", "anchor") else 9)
    values: dict[str, dict[str, float | None]] = {}
    for kind in kinds:
        values[kind] = {}
        for label, part, path, _ in METRICS:
            found = [dig(json.loads(p.read_text()), path) for p in sorted(directory.glob(f"{kind}-{part}-r*.json"))]
            found = [v for v in found if isinstance(v, (int, float))]
            values[kind][label] = statistics.median(found) if found else None

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b else ""

    print("\n## Figures (median over rounds)\n")
    print("| metric | " + " | ".join(kinds) + " | ours/anchor | ours/raw |")
    print("|---|" + "---|" * (len(kinds) + 2))
    for label, _, _, _ in METRICS:
        row = [values[k][label] for k in kinds]
        ours = values.get("ours", {}).get(label)
        print(f"| {label} | " + " | ".join("" if v is None else f"{v:g}" for v in row)
              + f" | {ratio(ours, values.get('anchor', {}).get(label))} | {ratio(ours, values.get('raw', {}).get(label))} |")

    print("\n## Per round (each on a freshly started server)\n")
    per_round = [m for m in METRICS if m[1] == "load"]
    print("| kind | round | " + " | ".join(label for label, _, _, _ in per_round) + " |")
    print("|---|---|" + "---|" * len(per_round))
    for kind in kinds:
        for path in sorted(directory.glob(f"{kind}-load-r*.json")):
            data = json.loads(path.read_text())
            cells = [dig(data, p) for _, _, p, _ in per_round]
            print(f"| {kind} | {path.stem.rsplit('-', 1)[1]} | " + " | ".join("" if v is None else f"{v:g}" for v in cells) + " |")

    print("\n## Idle connections, per round (RSS KiB)\n")
    print("| kind | file | K | round | opened | all stayed | RSS before | RSS with K open | RSS after close | bytes/conn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        for row in idle_rows(directory, kind):
            print(f"| {kind} | {row['file']} | {row['k']} | {row['rep']} | {row.get('opened')} | {row.get('all_stayed_connected')} "
                  f"| {row.get('rss_before_kb')} | {row.get('rss_after_kb')} | {row.get('rss_after_close_kb')} "
                  f"| {row.get('rss_bytes_per_conn')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
