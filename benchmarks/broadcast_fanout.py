"""
Broadcast fan-out: how long until every one of K connected clients has an event.

The shared harness's own C{fanout} scenario triggers with C{system-event}, which our
gateway does not serve; this one triggers with what both gateways broadcast: the
C{presence} snapshot that follows a UI client's C{connect}. The trigger connects as
C{openclaw-tui} in mode C{ui} with a unique marker as its C{platform}, which appears
in the presence entry every receiver gets. The receivers are the harness's own
(C{w_fanout_recv}: read-scoped connections in C{--procs} processes that note when
each marker arrives, by substring, without parsing).

Times are measured from the moment the trigger has its C{hello-ok} (both gateways
broadcast right after sending it) to the moment the last receiver has the event
(C{all_ms}), and, for reference, from the start of the trigger's connect.

    $BENCH_PYTHON benchmarks/broadcast_fanout.py --url ws://127.0.0.1:PORT --token T --pid PID -k 1000

Run it with the harness's Python (aiohttp, uvloop, orjson); C{--bench} is the
directory of C{gatewaybench.py} (default: ../shared/bench beside the repository).
C{--device-key} signs each trigger's connect with a new throwaway device (OpenClaw
wants a device identity for UI clients, and pairs it silently on loopback; a paired
device that comes back with another platform needs approval again).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_harness(directory: Path):
    spec = importlib.util.spec_from_file_location("gatewaybench", directory / "gatewaybench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gatewaybench"] = module
    spec.loader.exec_module(module)
    return module


async def trigger(gwb, cfg: dict, markers: list[str], gap: float) -> dict:
    """One UI connect per marker, C{gap} seconds apart; when each had its hello-ok."""
    sent = {}
    async with gwb.make_session() as session:
        for marker in markers:
            await asyncio.sleep(gap)
            started = gwb.now()
            ui = dict(cfg, client_id="openclaw-tui", client_mode="ui", platform=marker)
            if "_device" in cfg:  # a device is paired with its platform: a new one each time
                ui["_device"] = gwb.DeviceKey(None)
            conn = await gwb.GwConn.open(session, ui)
            sent[marker] = {"start": started, "hello": gwb.now()}
            await asyncio.sleep(gap)
            await conn.close()
    return sent


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, default=0, help="gateway PID (its CPU over the triggers)")
    ap.add_argument("-k", type=int, default=1000, help="receiving clients")
    ap.add_argument("--triggers", type=int, default=10)
    ap.add_argument("--gap", type=float, default=0.5, help="seconds between a trigger's steps")
    ap.add_argument("--procs", type=int, default=2, help="receiver processes")
    ap.add_argument("--open-conc", type=int, default=16)
    ap.add_argument("--device-key", action="store_true", help="sign each trigger's connect with a throwaway device key")
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    ap.add_argument("--label", default="")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    host = args.url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("loopback targets only")

    gwb = load_harness(args.bench)
    gwb.raise_nofile()
    cfg = {"url": args.url, "token": args.token, "client_id": "gateway-client", "client_mode": "backend",
           "platform": "linux", "scopes": ["operator.read"], "min_protocol": 4, "max_protocol": 4}
    markers = [f"gwb-{uuid.uuid4().hex[:12]}" for _ in range(args.triggers)]
    receivers = dict(cfg, _markers=markers, _fan_event="presence", _open_conc=max(1, args.open_conc // args.procs))
    procs, pipes = gwb.run_pool("w_fanout_recv", receivers, gwb.split(args.k, args.procs))
    readies = gwb.pool_recv(pipes, 600)
    opened = sum(r.get("opened", 0) for r in readies)
    time.sleep(1.0)
    trigger_cfg = dict(cfg, scopes=[])
    if args.device_key:
        trigger_cfg["_device"] = None
    cpu_before = gwb.tree_cpu(args.pid) if args.pid else None
    sent = gwb.run_loop(trigger(gwb, trigger_cfg, markers, args.gap))
    time.sleep(args.gap)
    cpu = (gwb.tree_cpu(args.pid) - cpu_before) if args.pid else None
    for pipe in pipes:
        pipe.send({"stop": True})
    seen = gwb.pool_recv(pipes, 120)
    gwb.pool_join(procs)

    per_trigger = []
    for marker in markers:
        times = [t for r in seen for t in (r.get("seen") or {}).get(marker, [])]
        hello, start = sent[marker]["hello"], sent[marker]["start"]
        per_trigger.append({
            "received": len(times),
            "all_ms": round((max(times) - hello) * 1000, 3) if times else None,
            "all_from_connect_ms": round((max(times) - start) * 1000, 3) if times else None,
            "trigger_hello_ms": round((hello - start) * 1000, 3),
        })
    complete = [p for p in per_trigger if p["received"] == opened]
    result = {
        "label": args.label, "url": args.url, "k": args.k, "opened": opened, "triggers": len(markers),
        "triggers_fully_delivered": len(complete),
        "all_received_p50_ms": percentile([p["all_ms"] for p in complete], 50),
        "all_received_max_ms": percentile([p["all_ms"] for p in complete], 100),
        "all_from_connect_p50_ms": percentile([p["all_from_connect_ms"] for p in complete], 50),
        "trigger_hello_p50_ms": percentile([p["trigger_hello_ms"] for p in per_trigger], 50),
        "server_cpu_s": round(cpu, 3) if cpu is not None else None,
        "receiver_errors": [e for r in readies for e in r.get("errors", [])][:3],
        "per_trigger": per_trigger,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "per_trigger"}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
