#!/usr/bin/env python3
"""
Slow consumers: what N clients that never read do to the gateway and to everyone
else. Loopback only, bounded in time; run by hand, not in CI.

    python3 benchmarks/slow_consumer.py [--slow 3] [--seconds 30] [--json out.json]

It starts C{openclaw gateway} (OPENCLAW_BIN, default <repo>/.venv/bin/openclaw) in a
temporary home, then:

1. baseline: RSS of the gateway, and the latency of a well-behaved client's C{health}
   calls (one at a time, back to back);
2. load: N clients with a 1 KiB receive buffer complete the handshake, then pipeline
   C{health} requests and never read a byte, while a flood of short-lived
   Control-UI-like connections (each one a C{presence} and C{health} broadcast) runs;
   the well-behaved client keeps measuring. The phase ends when every slow client
   was closed, or after --seconds;
3. after: the load stops, the gateway settles, and RSS and latency are read again.

For every slow client it reports how its connection ended: C{close 1008 slow consumer}
(the close frame reached it), C{reset} (the TCP connection was dropped) or C{open}
(still open at the end), and after how many seconds. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "slow-consumer-token-0123456789abcdef"
HOST = "127.0.0.1"


# a minimal blocking WebSocket client -------------------------------------------------


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class WsClient:
    def __init__(self, port: int, rcvbuf: int | None = None, timeout: float = 10.0) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect((HOST, port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += _recv_exact(sock, 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.split(b"\r\n")[0].decode())
        self.sock = sock
        self._ids = 0

    def send(self, obj) -> None:
        self.sendFrame(0x1, json.dumps(obj).encode())

    def sendFrame(self, opcode: int, data: bytes) -> None:
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x80 | opcode]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def frame(self) -> tuple[int, bytes]:
        b0, b1 = _recv_exact(self.sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", _recv_exact(self.sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", _recv_exact(self.sock, 8))[0]
        return b0 & 0x0F, _recv_exact(self.sock, n)

    def request(self, method: str, params=None) -> str:
        self._ids += 1
        rid = f"{self._ids}:{uuid.uuid4()}"
        frame = {"type": "req", "id": rid, "method": method}
        if params is not None:
            frame["params"] = params
        self.send(frame)
        return rid

    def answer(self, rid: str) -> dict:
        while True:
            opcode, payload = self.frame()
            if opcode == 8:
                raise ConnectionError(f"closed {payload[:2].hex()}")
            if opcode == 9:
                self.sendFrame(0xA, payload)  # pong: the gateway drops clients that do not answer
            if opcode == 1:
                msg = json.loads(payload)
                if msg.get("type") == "res" and msg.get("id") == rid:
                    return msg

    def handshake(self, clientId: str = "cli", mode: str = "cli") -> None:
        self.frame()  # connect.challenge
        rid = self.request(
            "connect",
            {
                "minProtocol": 4, "maxProtocol": 4, "role": "operator", "scopes": ["operator.read"],
                "client": {"id": clientId, "version": "bench", "platform": "linux", "mode": mode,
                           "instanceId": str(uuid.uuid4())},
                "auth": {"token": TOKEN},
            },
        )
        if not self.answer(rid)["ok"]:
            raise ConnectionError("connect refused")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def ending(sock: socket.socket) -> str:
    """Read what the gateway left for a slow client, up to its end: how it ended."""
    sock.settimeout(5.0)
    buffered = b""
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            buffered = (buffered + chunk)[-256:]
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "reset"
    marker = buffered.rfind(b"\x88")
    if marker >= 0 and marker + 4 <= len(buffered):
        length = buffered[marker + 1] & 0x7F
        body = buffered[marker + 2 : marker + 2 + length]
        if len(body) >= 2:
            return f"close {struct.unpack('!H', body[:2])[0]} {body[2:].decode(errors='replace')}"
    return "fin without close frame"


# the gateway under test ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_gateway(home: Path, port: int, log: Path) -> subprocess.Popen:
    state = home / ".openclaw"
    state.mkdir(parents=True)
    config = {"gateway": {"mode": "local", "port": port, "auth": {"token": TOKEN}}, "logging": {"file": str(log)}}
    (state / "openclaw.json").write_text(json.dumps(config))
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "NO_COLOR": "1"}
    cli = os.environ.get("OPENCLAW_BIN", str(REPO / ".venv" / "bin" / "openclaw"))
    proc = subprocess.Popen([cli, "gateway"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            WsClient(port, timeout=2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gateway did not start")


# load ----------------------------------------------------------------------------------


class Probe(threading.Thread):
    """A well-behaved client: C{health} back to back, latencies recorded per phase."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.client = WsClient(port, timeout=30)
        self.client.handshake()
        self.phase = "baseline"
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                self.client.answer(self.client.request("health"))
            except OSError as e:
                self.errors.append(f"{self.phase}: {e!r}")
                return
            self.latencies.setdefault(self.phase, []).append(time.perf_counter() - started)
            time.sleep(0.02)


class SlowClient(threading.Thread):
    """Handshakes, then pipelines requests and never reads."""

    def __init__(self, port: int, started: float) -> None:
        super().__init__(daemon=True)
        self.client = WsClient(port, rcvbuf=1024, timeout=30)
        self.client.handshake()
        self.started = started
        self.endedAfter: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        self.client.sock.settimeout(1.0)
        while not self.stop.is_set():
            try:
                self.client.request("health")
            except socket.timeout:
                continue  # the gateway stopped reading us for now
            except OSError:
                break
        if self.endedAfter is None:
            self.endedAfter = time.monotonic() - self.started


def flood(port: int, stop: threading.Event, counter: list[int]) -> None:
    """Short-lived Control-UI-like connections: presence and health broadcasts."""
    while not stop.is_set():
        try:
            c = WsClient(port, timeout=10)
            c.handshake(clientId="webchat", mode="webchat")
            c.close()
            counter[0] += 1
        except OSError:
            time.sleep(0.05)


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(values[int(0.95 * (len(values) - 1))] * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--slow", type=int, default=3, help="clients that never read")
    parser.add_argument("--flooders", type=int, default=2, help="threads opening short connections")
    parser.add_argument("--seconds", type=float, default=60.0, help="longest load phase")
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--json", help="write the result here as well")
    parser.add_argument("--log", help="keep the gateway's log file here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slow-consumer-") as tmp:
        port = free_port()
        log = Path(args.log) if args.log else Path(tmp) / "gateway.log"
        gateway = start_gateway(Path(tmp), port, log)
        result: dict = {"slow_clients": args.slow}
        try:
            probe = Probe(port)
            probe.start()
            time.sleep(3)
            result["rss_baseline_kb"] = rss_kb(gateway.pid)
            probe.phase = "load"
            started = time.monotonic()
            slow = [SlowClient(port, started) for _ in range(args.slow)]
            for s in slow:
                s.start()
            stop, opened = threading.Event(), [0]
            flooders = [threading.Thread(target=flood, args=(port, stop, opened), daemon=True) for _ in range(args.flooders)]
            for f in flooders:
                f.start()
            peak = 0
            while time.monotonic() - started < args.seconds and any(s.is_alive() for s in slow):
                peak = max(peak, rss_kb(gateway.pid))
                time.sleep(0.2)
            result["load_s"] = round(time.monotonic() - started, 1)
            result["rss_peak_kb"] = peak
            stop.set()
            for s in slow:
                s.stop.set()
            for f in flooders:
                f.join()
            result["flood_connections"] = opened[0]
            result["slow_endings"] = [
                {"ending": ending(s.client.sock), "after_s": None if s.endedAfter is None else round(s.endedAfter, 1)}
                for s in slow
            ]
            for s in slow:
                s.client.close()
            probe.phase = "after"
            time.sleep(args.settle)
            result["rss_after_kb"] = rss_kb(gateway.pid)
            probe.stop.set()
            probe.join(timeout=30)
            result["health_latency"] = {phase: ms(values) for phase, values in probe.latencies.items()}
            result["probe_errors"] = probe.errors
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
