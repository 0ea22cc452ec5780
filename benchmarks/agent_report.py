"""
The table of an C{agent_bench.sh} run: ours beside the real OpenClaw, with the ratio and
the goal of each figure.

    python3 benchmarks/agent_report.py benchmarks/results/agent-<timestamp>/

It reads C{<kind>-agent-r<N>.json}, C{<kind>-chat-r<N>.json} (the harness's
C{chat-stream}) and C{<kind>-rss-r<N>.json} for the kinds C{ours} and C{anchor}; with
several rounds a figure is the median over them. Standard library only.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

# (label, file part, path into the scenario's JSON, goal) ; a goal is
# ("<", bound) on ours, or ("ratio<=", r) / ("ratio>=", r) on ours/OpenClaw.
FIGURES = [
    ("`agent` TTFT added, C=1 (ms)", "agent", ("overhead_c1", "ttft_added_ms"), ("<", 20)),
    ("`agent` TTFT added, C=16 (ms)", "agent", ("overhead_c16", "ttft_added_ms"), ("<", 100)),
    ("`agent` TTFT through the gateway, C=1 (ms)", "agent", ("gateway_c1", "ttft_p50_ms"), None),
    ("`agent` TTFT straight from the upstream, C=1 (ms)", "agent", ("direct_c1", "ttft_p50_ms"), None),
    ("`agent` accepted `res`, C=1 (ms)", "agent", ("gateway_c1", "accepted_p50_ms"), None),
    ("`agent` final `res`, C=1 (ms)", "agent", ("gateway_c1", "final_p50_ms"), None),
    ("`agent` TTFT through the gateway, C=16 (ms)", "agent", ("gateway_c16", "ttft_p50_ms"), None),
    ("`agent` final `res`, C=16 (ms)", "agent", ("gateway_c16", "final_p50_ms"), None),
    ("`agent` aggregate tokens/s, C=16", "agent", ("gateway_c16", "aggregate_tok_s"), ("ratio>=", 20)),
    ("upstream alone, aggregate tokens/s, C=16", "agent", ("direct_c16", "aggregate_tok_s"), None),
    ("gateway CPU s per `agent` turn, C=1", "agent", ("gateway_c1", "server_cpu_s_per_turn"), ("ratio<=", 0.1)),
    ("gateway CPU s per `agent` turn, C=16", "agent", ("gateway_c16", "server_cpu_s_per_turn"), ("ratio<=", 0.1)),
    ("chat-stream TTFT added, C=1 (ms)", "chat", ("overhead_c1", "ttft_added_ms"), ("<", 20)),
    ("chat-stream TTFT added, C=16 (ms)", "chat", ("overhead_c16", "ttft_added_ms"), ("<", 100)),
    ("chat-stream aggregate tokens/s, C=16", "chat", ("gateway_c16", "aggregate_tok_s"), ("ratio>=", 20)),
    ("chat-stream gateway CPU ms per request, C=1", "chat", ("gateway_c1", "server_cpu_ms_per_req"),
     ("ratio<=", 0.1)),
    ("chat-stream gateway CPU ms per request, C=16", "chat", ("gateway_c16", "server_cpu_ms_per_req"),
     ("ratio<=", 0.1)),
    ("sessions stored before the RSS reading", "rss", ("seed", "seeded"), None),
    ("RSS at start (MiB)", "rss", ("rss_start_kb",), None),
    ("RSS after storing the sessions (MiB)", "rss", ("rss_after_seed_kb",), None),
    ("RSS, those sessions + 20 runs in flight (MiB)", "rss", ("rss_in_flight_kb",), ("<", 100)),
    ("gateway CPU s per seeding turn", "rss", ("seed", "server_cpu_ms_per_op"), ("ratio<=", 0.1)),
]
SCENARIO = {"agent": "agent", "chat": "chat-stream", "rss": "rss"}


def figure(directory: Path, kind: str, part: str, path: tuple) -> float | None:
    values = []
    for f in sorted(directory.glob(f"{kind}-{part}-r*.json")):
        node = json.loads(f.read_text()).get("scenarios", {}).get(SCENARIO[part], {})
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)):
            values.append(node)
    if not values:
        return None
    value = statistics.median(values)
    if path[-1].endswith("_kb"):
        return value / 1024
    if path[-1] == "server_cpu_ms_per_op":  # the seeding window's CPU per turn, in seconds
        return value / 1000
    return value


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.3g}"
    return f"{v:.0f}"


def verdict(goal, ours, anchor) -> str:
    if goal is None or ours is None:
        return ""
    kind, bound = goal
    if kind == "<":
        return f"< {bound}: {'yes' if ours < bound else 'NO'}"
    if anchor in (None, 0):
        return f"{kind[5:]} {bound}×: no anchor figure"
    ratio = ours / anchor
    met = ratio >= bound if kind == "ratio>=" else ratio <= bound
    return f"{kind[5:]} {bound}×: {'yes' if met else 'NO'}"


def report(directory: Path) -> str:
    lines = ["", "| figure | ours | OpenClaw | ours/OpenClaw | goal |", "|---|---|---|---|---|"]
    for label, part, path, goal in FIGURES:
        ours, anchor = figure(directory, "ours", part, path), figure(directory, "anchor", part, path)
        if ours is None and anchor is None:
            continue
        ratio = ours / anchor if ours is not None and anchor not in (None, 0) else None
        lines.append(f"| {label} | {fmt(ours)} | {fmt(anchor)} | {fmt(ratio)} | {verdict(goal, ours, anchor)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(report(Path(sys.argv[1])))
