#!/usr/bin/env python3
"""
Wall time of whole CLI commands: our C{openclaw} against our gateway, beside the
real OpenClaw CLI against the real OpenClaw gateway, in the same run, interleaved
(ours, theirs, ours, ...) so machine noise hits both alike. Run by hand, not in CI.

    python3 benchmarks/cli_latency.py [--runs 10] [--commands "gateway status" "health"]

Environment:
    OPENCLAW_BIN   our CLI (default <repo>/.venv/bin/openclaw)
    GWB_BENCH      the shared bench directory (default <repo>/../shared/bench)
    GWB_CACHE      where anchor-openclaw.sh keeps Node 24 and openclaw@2026.9.6

Prints min/median/max per command and the ratio of the medians (theirs / ours).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("GWB_BENCH", REPO.parent / "shared" / "bench"))
TOKEN = "cli-latency-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gateway on {port} not ready after {timeout}s")


def start_ours(home: Path) -> tuple[subprocess.Popen, dict[str, str], list[str]]:
    port = free_port()
    state = home / ".openclaw"
    state.mkdir(parents=True)
    (state / "openclaw.json").write_text(json.dumps({"gateway": {"mode": "local", "port": port, "auth": {"token": TOKEN}}}))
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "NO_COLOR": "1"}
    cli = os.environ.get("OPENCLAW_BIN", str(REPO / ".venv" / "bin" / "openclaw"))
    proc = subprocess.Popen([cli, "gateway"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port)
    return proc, env, [cli]


def start_theirs(home: Path) -> tuple[int, dict[str, str], list[str]]:
    port = free_port()
    out = subprocess.run(
        ["bash", str(BENCH / "anchor-openclaw.sh"), "--home", str(home), "--port", str(port), "--token", TOKEN],
        check=True, capture_output=True, text=True,
    ).stdout
    pid = int(re.search(r"GATEWAY_PID=(\d+)", out).group(1))
    cache = Path(os.environ.get("GWB_CACHE", Path.home() / ".cache" / "gatewaybench"))
    node = cache / "node24" / "package" / "bin"
    cli = next(cache.glob("openclaw-*/node_modules/.bin/openclaw"))
    env = {"HOME": str(home), "PATH": f"{node}:{os.environ['PATH']}", "NO_COLOR": "1", "OPENCLAW_GATEWAY_PORT": str(port)}
    wait_ready(port)
    return pid, env, [str(cli), "--dev"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--commands", nargs="+", default=["gateway status", "health"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cli-latency-") as tmp:
        ours, ourEnv, ourCli = start_ours(Path(tmp) / "ours")
        theirPid, theirEnv, theirCli = start_theirs(Path(tmp) / "theirs")
        try:
            print(f"{'command':<16} {'ours min/med/max (s)':<24} {'OpenClaw min/med/max (s)':<26} ratio")
            for command in args.commands:
                words = command.split()
                a, b = [], []
                for _ in range(args.runs):
                    a.append(timed(ourCli + words, ourEnv))
                    b.append(timed(theirCli + words, theirEnv))
                fmt = lambda xs: f"{min(xs):.3f}/{statistics.median(xs):.3f}/{max(xs):.3f}"
                print(f"{command:<16} {fmt(a):<24} {fmt(b):<26} {statistics.median(b) / statistics.median(a):.1f}x")
        finally:
            ours.send_signal(signal.SIGTERM)
            ours.wait(30)
            os.kill(theirPid, signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
