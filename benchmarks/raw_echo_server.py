"""
The ceiling: a raw JSON echo over the gateway's WebSocket stack (Twisted, autobahn
with NVX, orjson), speaking only as much of the protocol as the shared harness needs
(a challenge, a C{hello-ok} for any C{connect}, a C{res} echoing the id of any other
request). No scopes, schema, handlers or logging: what is left is the cost of the
stack itself, the floor under every request of the real gateway.

    .venv/bin/python benchmarks/raw_echo_server.py --port 19400
    $BENCH_PYTHON ../shared/bench/gatewaybench.py --url ws://127.0.0.1:19400 --token x --pid PID \\
        --rpc-methods last-heartbeat --rpc-conns 16 rpc
"""

from __future__ import annotations

import argparse
import os
import sys

import orjson
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol


class Echo(WebSocketServerProtocol):
    def onOpen(self) -> None:
        self.sendMessage(orjson.dumps({"type": "event", "event": "connect.challenge", "payload": {"nonce": "n", "ts": 0}}))

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        frame = orjson.loads(payload)
        answer = {"type": "hello-ok", "protocol": 4, "policy": {"tickIntervalMs": 30000}} if frame.get("method") == "connect" else None
        self.sendMessage(orjson.dumps({"type": "res", "id": frame.get("id"), "ok": True, "payload": answer}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args(argv)
    from twisted.internet import reactor

    factory = WebSocketServerFactory(url=None, reactor=reactor)
    factory.setProtocolOptions(autoPingInterval=0)
    factory.protocol = Echo
    reactor.listenTCP(args.port, factory, interface="127.0.0.1", backlog=1024)
    print(f"raw echo listening on ws://127.0.0.1:{args.port} (PID {os.getpid()})", flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
