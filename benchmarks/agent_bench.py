"""
Agent runs through a gateway, timed against the model upstream they stream from.

Two scenarios, for any gateway that serves the two-stage C{agent} RPC (ours and the
real OpenClaw) with the shared harness's fake upstream as its model provider:

C{agent}: C concurrent runs (one connection each, a new session per run). Per run it
times, from the moment the C{agent} request is sent: the C{accepted} C{res}, the first
C{agent} event with C{stream:"assistant"} and a non-empty delta, the first C{chat}
C{delta}, and the final C{res}. Right before, the same number of streams at the same
concurrency go straight to the upstream (C{/v1/chat/completions}, the same prompt and
token count), so "TTFT added by the gateway" is the through-gateway median minus the
direct median. The gateway tree's CPU seconds over each window (from /proc) give the
CPU per turn; all tokens received over the window's wall time give the aggregate
tokens/s.

C{rss}: stores N sessions by running N one-token turns, each on its own session key
(or as many as fit in C{--seed-max-s}; the JSON says how many), then starts 20 slow
runs (the upstream streams at a few tokens/s) and, once each has had its first token,
samples the gateway tree's RSS while all 20 are in flight.

    $BENCH_PYTHON benchmarks/agent_bench.py --url ws://127.0.0.1:PORT --token T --pid PID \\
        --upstream http://127.0.0.1:UPORT --json out.json agent rss

Run it with the harness's Python (aiohttp, uvloop, orjson); C{--bench} is the directory
of C{gatewaybench.py} (default: ../shared/bench beside the repository). The fake upstream
reads C{fake_tokens=N} and C{fake_rate=R} from the prompt, so no gateway needs to forward
anything special. C{agent_bench.sh} starts the upstream and both gateways and runs this
side by side with the harness's C{chat-stream}.
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


class RunFailed(Exception):
    pass


def prompt(label: str, tokens: int, rate: float) -> str:
    text = f"Benchmark {label}. Reply with filler text. fake_tokens={tokens}"
    return text + (f" fake_rate={rate:g}" if rate else "")


async def agent_run(gwb, conn, sessionKey: str, message: str, timeout: float,
                    firstToken: asyncio.Event | None = None) -> dict:
    """One C{agent} request on C{conn}; the times of its milestones, in seconds from the send."""
    runId = str(uuid.uuid4())
    requestId = f"agent-{runId}"
    params = {"message": message, "idempotencyKey": runId, "sessionKey": sessionKey}
    t0 = gwb.now()
    await conn.ws.send_str(gwb.jdumps({"type": "req", "id": requestId, "method": "agent", "params": params}))
    times = {"accepted": None, "agent_first": None, "chat_first": None, "final": None}
    chars = frames = 0
    async with asyncio.timeout(timeout):
        while times["final"] is None:
            msg = await conn.ws.receive()
            if msg.type != gwb.aiohttp.WSMsgType.TEXT:
                raise RunFailed(f"connection closed during the run ({msg.type})")
            frames += 1
            chars += _frame(gwb, msg.data, runId, requestId, t0, times, firstToken)
    if times["agent_first"] is None:
        raise RunFailed("the run ended without an assistant delta")
    return dict(times, chars=chars, frames=frames)


def _frame(gwb, data: str, runId: str, requestId: str, t0: float, times: dict, firstToken) -> int:
    """Note what one frame tells about the run; returns the assistant characters it carries."""
    # Other runs' frames (a gateway may broadcast their events) are skipped without a parse.
    if runId not in data:
        return 0
    frame = gwb.jloads(data)
    at = gwb.now() - t0
    payload = frame.get("payload") or {}
    if frame.get("type") == "res" and frame.get("id") == requestId:
        if not frame.get("ok"):
            raise RunFailed(gwb.jdumps(frame.get("error"))[:300])
        if payload.get("status") == "accepted":
            times["accepted"] = at
        elif payload.get("status") == "ok":
            times["final"] = at
        else:
            raise RunFailed(f"final status {payload.get('status')!r}: {payload.get('summary')!r}")
    elif frame.get("type") == "event" and payload.get("runId") == runId:
        if frame.get("event") == "agent" and payload.get("stream") == "assistant":
            delta = (payload.get("data") or {}).get("delta") or ""
            if delta and times["agent_first"] is None:
                times["agent_first"] = at
                if firstToken is not None:
                    firstToken.set()
            return len(delta)
        if frame.get("event") == "chat" and payload.get("state") == "delta" and times["chat_first"] is None:
            times["chat_first"] = at
    return 0


async def on_each(gwb, conns: list, work) -> float:
    """C{work(conn)} on every connection at once; the wall time until all are done.

    A connection whose work is done keeps being read until every one is done, as an
    open client would: a gateway may send every run's events to every connection, and
    frames piling up for one that nobody reads skew the figures of the runs still going.
    """
    drains = []

    async def drain(conn):
        while (await conn.ws.receive()).type == gwb.aiohttp.WSMsgType.TEXT:
            pass

    async def one(conn):
        await work(conn)
        drains.append(asyncio.ensure_future(drain(conn)))

    started = gwb.now()
    await asyncio.gather(*[one(c) for c in conns])
    wall = gwb.now() - started
    for d in drains:
        d.cancel()
    await asyncio.gather(*drains, return_exceptions=True)
    for c in conns:
        await c.close()
    return wall


async def agent_level(gwb, cfg: dict, conc: int, nreq: int, tokens: int, rate: float, wordLen: int,
                      timeout: float) -> dict:
    """C{nreq} runs over C{conc} connections, each run on a session of its own."""
    results, errors = [], []
    todo = list(range(nreq))
    async with gwb.make_session() as session:
        conns = await asyncio.gather(*[gwb.GwConn.open(session, cfg) for _ in range(conc)])

        async def worker(conn):
            while todo:
                i = todo.pop()
                key = f"bench-{uuid.uuid4().hex[:12]}"
                try:
                    results.append(await agent_run(gwb, conn, key, prompt(f"run {i}", tokens, rate), timeout))
                except Exception as e:  # noqa: BLE001 - a failed run is counted and reported, not fatal
                    errors.append(f"{type(e).__name__}: {e}"[:300])

        wall = await on_each(gwb, conns, worker)

    def ms(key, p=50):
        values = [r[key] for r in results if r[key] is not None]
        return round(gwb.pct(values, p) * 1000, 2) if values else None

    tokensReceived = sum(r["chars"] for r in results) / wordLen
    return {"requests": nreq, "ok": len(results), "errors": len(errors), "first_errors": errors[:2],
            "wall_s": round(wall, 3),
            "accepted_p50_ms": ms("accepted"),
            "ttft_p50_ms": ms("agent_first"), "ttft_p90_ms": ms("agent_first", 90),
            "chat_first_p50_ms": ms("chat_first"),
            "final_p50_ms": ms("final"), "final_p90_ms": ms("final", 90),
            "tokens_per_run": round(tokensReceived / len(results), 1) if results else None,
            "frames_per_run": round(sum(r["frames"] for r in results) / len(results), 1) if results else None,
            "aggregate_tok_s": round(tokensReceived / wall, 1) if wall and results else None}


def scen_agent(gwb, cfg: dict, a) -> dict:
    out = {"tokens": a.tokens, "rate": a.rate}
    warm = gwb.run_loop(agent_level(gwb, cfg, 1, 1, 8, 0, len(a.word), a.run_timeout))
    gwb.log(f"  agent warm-up: ttft={warm['ttft_p50_ms']}ms errors={warm['errors']} {warm['first_errors']}")
    for conc in a.conc:
        nreq = max(conc * a.rounds, a.min_requests)
        for name in ("direct", "gateway"):
            reps = []
            for r in range(a.reps):
                gwb.wait_quiet(f"agent {name} C={conc}")
                clientCpu = gwb.self_cpu()
                if name == "direct":
                    with gwb.CpuWindow(a.upstream_pid) as window:
                        res = gwb.run_loop(gwb._chat_level(a.upstream, None, a.upstream_model, conc, nreq,
                                                           a.tokens, a.rate, len(a.word), {}))
                else:
                    with gwb.CpuWindow(a.pid) as window:
                        res = gwb.run_loop(agent_level(gwb, cfg, conc, nreq, a.tokens, a.rate, len(a.word),
                                                       a.run_timeout))
                measured = window.result(res["ok"])
                res["machine_busy_pct"] = measured.get("machine_busy_pct")
                res["client_cpu_pct"] = round((gwb.self_cpu() - clientCpu) / window.wall * 100, 1)
                if name == "gateway" and a.pid:
                    res["server_cpu_s"] = measured.get("server_cpu_s")
                    res["server_cpu_s_per_turn"] = round(measured["server_cpu_s"] / res["ok"], 4) \
                        if res["ok"] else None
                reps.append(res)
                gwb.log(f"  agent {name} C={conc} rep {r + 1}: ok={res['ok']}/{nreq} ttft p50={res['ttft_p50_ms']}ms"
                        f" aggregate {res['aggregate_tok_s']} tok/s"
                        + (f" cpu/turn={res.get('server_cpu_s_per_turn')}s frames/run={res['frames_per_run']}"
                           if name == "gateway" else "")
                        + f" client cpu {res['client_cpu_pct']}%"
                        + (f" errors={res['first_errors']}" if res["errors"] else ""))
            keys = [k for k in reps[0] if isinstance(reps[0][k], (int, float))]
            out[f"{name}_c{conc}"] = gwb.combine_reps(reps, keys)
        g, d = out[f"gateway_c{conc}"], out[f"direct_c{conc}"]
        if g.get("ttft_p50_ms") is not None and d.get("ttft_p50_ms") is not None:
            out[f"overhead_c{conc}"] = {"ttft_added_ms": round(g["ttft_p50_ms"] - d["ttft_p50_ms"], 2)}
    return out


async def seed_sessions(gwb, cfg: dict, count: int, conc: int, timeout: float, maxSeconds: float) -> dict:
    """C{count} one-token turns, each on a session key of its own, over C{conc} connections;
    no new turn starts after C{maxSeconds} (OpenClaw's turns cost about a CPU second each)."""
    todo = list(range(count))
    stopAt = gwb.now() + maxSeconds
    done, errors = [0], []
    async with gwb.make_session() as session:
        conns = await asyncio.gather(*[gwb.GwConn.open(session, cfg) for _ in range(conc)])

        async def worker(conn):
            while todo and gwb.now() < stopAt:
                i = todo.pop()
                try:
                    await agent_run(gwb, conn, f"seed-{i:05d}", prompt(f"seed {i}", 1, 0), timeout)
                    done[0] += 1
                except Exception as e:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(e).__name__}: {e}"[:300])

        wall = await on_each(gwb, conns, worker)
    return {"seeded": done[0], "errors": len(errors), "first_errors": errors[:2], "wall_s": round(wall, 1)}


async def runs_in_flight(gwb, cfg: dict, pid: int, count: int, tokens: int, rate: float, samples: int,
                         timeout: float) -> dict:
    """C{count} slow runs at once; RSS samples taken while every one of them is streaming."""
    async with gwb.make_session() as session:
        conns = await asyncio.gather(*[gwb.GwConn.open(session, cfg) for _ in range(count)])
        firsts = [asyncio.Event() for _ in range(count)]
        runs = [asyncio.ensure_future(agent_run(gwb, c, f"inflight-{i}", prompt(f"slow {i}", tokens, rate),
                                                timeout, first))
                for i, (c, first) in enumerate(zip(conns, firsts))]
        streaming = asyncio.gather(*[f.wait() for f in firsts])
        await asyncio.wait([streaming, *runs], return_when=asyncio.FIRST_COMPLETED, timeout=timeout)
        allStreaming = streaming.done()
        rss = []
        for _ in range(samples):
            if any(r.done() for r in runs):
                break
            rss.append(gwb.tree_mem(pid)["rss_kb"])
            await asyncio.sleep(1.0)
        stillRunning = sum(not r.done() for r in runs)
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        streaming.cancel()
        for c in conns:
            await c.close()
    failed = [f"{type(o).__name__}: {o}"[:300] for o in outcomes if isinstance(o, BaseException)]
    return {"runs": count, "all_streaming": allStreaming, "rss_samples_kb": rss,
            "rss_in_flight_kb": max(rss) if rss else None, "running_after_samples": stillRunning,
            "failed": len(failed), "first_errors": failed[:2]}


def scen_rss(gwb, cfg: dict, a) -> dict:
    if not a.pid:
        raise SystemExit("rss needs --pid")
    out = {"sessions": a.sessions, "in_flight": a.in_flight, "rss_start_kb": gwb.tree_mem(a.pid)["rss_kb"]}
    with gwb.CpuWindow(a.pid) as window:
        out["seed"] = gwb.run_loop(seed_sessions(gwb, cfg, a.sessions, a.seed_conc, a.run_timeout, a.seed_max_s))
    out["seed"].update(window.result(out["seed"]["seeded"]))
    out["rss_after_seed_kb"] = gwb.tree_mem(a.pid)["rss_kb"]
    gwb.log(f"  rss: {out['seed']['seeded']} sessions seeded in {out['seed']['wall_s']}s "
            f"(errors {out['seed']['errors']}), RSS {out['rss_start_kb']} -> {out['rss_after_seed_kb']} KiB")
    slowTokens = int(a.in_flight_rate * (a.in_flight_s + 10))
    out["flight"] = gwb.run_loop(runs_in_flight(gwb, cfg, a.pid, a.in_flight, slowTokens, a.in_flight_rate,
                                                a.in_flight_s, a.run_timeout))
    out["rss_in_flight_kb"] = out["flight"]["rss_in_flight_kb"]
    out["rss_end_kb"] = gwb.tree_mem(a.pid)["rss_kb"]
    gwb.log(f"  rss: {a.in_flight} runs in flight (all streaming: {out['flight']['all_streaming']}), "
            f"RSS max {out['rss_in_flight_kb']} KiB, failed {out['flight']['failed']} {out['flight']['first_errors']}")
    return out


def ilist(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="+", choices=["agent", "rss"])
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench",
                    help="directory of the shared harness gatewaybench.py")
    ap.add_argument("--url", required=True, help="gateway WebSocket URL (loopback)")
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, default=None, help="gateway PID (CPU and RSS of its process tree)")
    ap.add_argument("--upstream", required=True, help="the fake upstream's base URL, for the direct baseline")
    ap.add_argument("--upstream-pid", type=int, default=None)
    ap.add_argument("--upstream-model", default="fake-model")
    ap.add_argument("--label", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--wait-quiet", type=float, default=0.0, help="as gatewaybench's --wait-quiet")
    ap.add_argument("--wait-quiet-max", type=float, default=30.0)
    ap.add_argument("--conc", type=ilist, default=[1, 16], help="concurrent runs per level")
    ap.add_argument("--tokens", type=int, default=256, help="tokens per answer")
    ap.add_argument("--rate", type=float, default=0, help="upstream tokens/s per stream (0 = as fast as it can)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per connection per level")
    ap.add_argument("--min-requests", type=int, default=8)
    ap.add_argument("--word", default="tok ", help="the fake upstream's text of one token")
    ap.add_argument("--run-timeout", type=float, default=300.0, help="seconds one run (or the seeding) may take")
    ap.add_argument("--sessions", type=int, default=1000, help="rss: sessions to store first")
    ap.add_argument("--seed-conc", type=int, default=16, help="rss: concurrent seeding turns")
    ap.add_argument("--seed-max-s", type=float, default=600.0, help="rss: start no seeding turn after this")
    ap.add_argument("--in-flight", type=int, default=20, help="rss: slow runs held in flight")
    ap.add_argument("--in-flight-rate", type=float, default=4.0, help="rss: their upstream tokens/s")
    ap.add_argument("--in-flight-s", type=int, default=10, help="rss: RSS samples, one a second")
    a = ap.parse_args(argv)
    for target in (a.url, a.upstream):
        host = target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if host not in ("127.0.0.1", "localhost", "::1"):
            ap.error(f"refusing non-loopback target {target!r}")

    gwb = load_harness(a.bench)
    gwb.raise_nofile()
    gwb.QUIET.update(pct=a.wait_quiet, max_wait=a.wait_quiet_max, pid=a.pid)
    cfg = {"url": a.url, "token": a.token, "client_id": "gateway-client", "client_mode": "backend",
           "platform": "linux", "scopes": ["operator.read", "operator.write"], "min_protocol": 4, "max_protocol": 4}
    results = {"tool": "agent_bench", "label": a.label, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "loadavg_start": gwb.loadavg(), "scenarios": {},
               "args": {k: str(v) for k, v in vars(a).items() if k != "token"}}
    scenarios = {"agent": scen_agent, "rss": scen_rss}
    for name in a.scenarios:
        gwb.log(f"== {name} (load {gwb.loadavg()})")
        started = gwb.now()
        results["scenarios"][name] = scenarios[name](gwb, cfg, a)
        results.setdefault("scenario_wall_s", {})[name] = round(gwb.now() - started, 1)
    results["loadavg_end"] = gwb.loadavg()
    if gwb.QUIET["log"]:
        results["quiet_checks"] = gwb.QUIET["log"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    print(json.dumps({k: v for k, v in results["scenarios"].items()}, default=str)[:4000])


if __name__ == "__main__":
    main()
