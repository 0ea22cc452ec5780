"""
Micro-benchmark of the gateway's per-frame path, in one process, without sockets.

A real gateway tree (built by C{makeService} from a throwaway config) gets one
C{GatewayConnection} on an in-memory transport: the WebSocket upgrade and the
C{connect} handshake are fed to it as bytes, then the same masked request frame
again and again. Each round trip is the whole path of a request: autobahn's frame
parser and unmasking, JSON decode, frame check, scope and params check, the
handler, encode, the framing, and the transport write. A second case times one
C{tick} broadcast to C{--fanout} connections; a third, with C{--burst N}, opens N
more connections, closes them all, and times what the gateway does after such a
burst (L{openclaw.gateway.heap.give_back}: a full collection, then C{malloc_trim}),
with the start-up heap frozen as in a gateway process.

    .venv/bin/python benchmarks/request_path.py                  # µs per request / broadcast
    .venv/bin/python benchmarks/request_path.py --profile 25     # plus the top functions (cProfile)

Times are the process's CPU time (not wall time: the machine is shared) of the best
of C{--repeat} batches: the best batch is the least disturbed one. Compare runs on
the same machine, close in time.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import orjson
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

TOKEN = "request-path-bench-token-0123456789"
MASK = b"\x11\x22\x33\x44"


def client_frame(payload: bytes) -> bytes:
    """One masked text frame, as a client sends it."""
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return head + MASK + masked


def server_frames(data: bytes) -> list[bytes]:
    """The payloads of the unmasked frames a server wrote."""
    out = []
    while data:
        n = data[1] & 0x7F
        at = 2
        if n == 126:
            n, at = int.from_bytes(data[2:4], "big"), 4
        elif n == 127:
            n, at = int.from_bytes(data[2:10], "big"), 10
        out.append(data[at : at + n])
        data = data[at + n :]
    return out


class Transport(StringTransport):
    """An in-memory TCP transport that forgets what was written once it is counted."""

    def __init__(self, port: int) -> None:
        super().__init__(peerAddress=IPv4Address("TCP", "127.0.0.1", port))
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def writeSequence(self, seq) -> None:
        for data in seq:
            self.write(data)

    def unregisterProducer(self) -> None:
        self.producer = None  # a TCP transport allows this with no producer registered


def build_tree(home: Path):
    """A gateway tree from a throwaway config (no port is bound, no timers run)."""
    from openclaw.gateway.service import Options, makeService

    config = home / "openclaw.json"
    config.write_text(json.dumps({"gateway": {"mode": "local", "auth": {"token": TOKEN}}, "logging": {"file": str(home / "gateway.log")}}))
    environ = dict(os.environ, HOME=str(home), OPENCLAW_STATE_DIR=str(home / "state"), OPENCLAW_CONFIG_PATH=str(config))
    options = Options(environ)
    options.parseOptions(["--port", "0"])
    from twisted.internet import reactor

    clock = Clock()
    service = makeService(options, reactor, clock=clock)
    service.logSink.startService()  # the gateway's own log observers, as in a running gateway
    return service, clock


def open_connection(tree, port: int, scopes=("operator.read", "operator.write")):
    """A connection past hello-ok, on an in-memory transport."""
    factory = tree.portFactory.websocket
    conn = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", port))
    transport = Transport(port)
    conn.makeConnection(transport)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.dataReceived(
        (
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    connect = {
        "type": "req", "id": "c", "method": "connect",
        "params": {
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": "1", "platform": "linux", "mode": "backend"},
            "role": "operator", "scopes": list(scopes), "caps": [], "auth": {"token": TOKEN},
        },
    }
    conn.dataReceived(client_frame(orjson.dumps(connect)))
    assert conn.phase == "ready", conn.phase
    return conn, transport


def best_of(repeat: int, batch: int, step) -> float:
    """CPU seconds per C{step} call: the best batch of C{repeat}."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(batch):
            step()
        best = min(best, (time.process_time() - started) / batch)
    return best


def burst_pause(tree, n: int) -> None:
    """Open C{n} connections, close them all, and time the parts of giving the heap back."""
    from openclaw.gateway import heap

    gc.collect()
    before = len(tree.hub.clients)
    conns = [open_connection(tree, 50000 + i % 10000)[0] for i in range(n)]
    for c in conns:
        c.connectionLost(Failure(ConnectionDone()))
    del conns, c
    assert len(tree.hub.clients) == before, "closed connections are still registered"
    tracked = len(gc.get_objects())

    def cpu_ms(step) -> float:
        started = time.process_time()
        step()
        return (time.process_time() - started) * 1e3

    collected = cpu_ms(gc.collect)
    trimmed = cpu_ms(heap._trim)
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    whole = cpu_ms(gc.collect)
    print(f"after {n} closes: full collection {collected:.1f} ms ({tracked:,} objects tracked besides the "
          f"{frozen:,} frozen at start-up), malloc_trim {trimmed:.1f} ms; "
          f"a full collection that walks the start-up heap too: {whole:.1f} ms")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="last-heartbeat")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--fanout", type=int, default=1000, help="connections a tick is broadcast to")
    ap.add_argument("--burst", type=int, default=0, metavar="N", help="time giving the heap back after N connections closed")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="print the top N functions (cProfile, tottime)")
    args = ap.parse_args(argv)

    from openclaw.gateway import heap, service as _imported  # noqa: F401 (imported before the freeze)

    heap.keep_startup_heap()  # as a gateway process does before it builds the tree
    with tempfile.TemporaryDirectory() as tmp:
        service, clock = build_tree(Path(tmp))
        tree, hub = service.tree, service.tree.hub
        conn, transport = open_connection(tree, 40000)
        frame = client_frame(orjson.dumps({"type": "req", "id": "42", "method": args.method, "params": {}}))
        before = transport.written
        conn.dataReceived(frame)
        assert transport.written > before, "no answer"

        def request() -> None:
            conn.dataReceived(frame)

        for _ in range(1000):
            request()  # warm up
        per_request = best_of(args.repeat, args.batch, request)
        print(f"{args.method}: {per_request * 1e6:.2f} µs per request (frame in → frame out), {1 / per_request:,.0f}/s on one core")

        others = [open_connection(tree, 40001 + i)[0] for i in range(args.fanout - 1)]

        def broadcast() -> None:
            hub.broadcast("tick", {"ts": int(clock.seconds() * 1000)})

        per_broadcast = best_of(args.repeat, max(1, args.batch // args.fanout * 4), broadcast)
        print(f"tick to {len(hub.clients)} connections: {per_broadcast * 1e3:.3f} ms per broadcast, "
              f"{per_broadcast / len(hub.clients) * 1e6:.2f} µs per connection")

        if args.burst:
            burst_pause(tree, args.burst)

        if args.profile:
            for name, step, n in (("request", request, args.batch * 4), ("broadcast", broadcast, 20)):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(n):
                    step()
                profiler.disable()
                print(f"\n--- {name}: top {args.profile} by own time ({n} calls) ---")
                pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(args.profile)
        for c in [conn, *others]:
            c.dropConnection(abort=True)
        service.logSink.stopService()
    return 0


if __name__ == "__main__":
    sys.exit(main())
