"""
Clients that never read, over real sockets with a tiny receive buffer: the gateway
stops reading their requests while their answers wait, closes them with 1008 once
what is queued for them passes the limit (and drops them when even the close cannot
be written), and keeps serving everyone else meanwhile.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct

import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.logger import globalLogPublisher

from openclaw.gateway import connection
from tests.conftest import TOKEN


def masked(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _connect_frame() -> bytes:
    params = {
        "minProtocol": 4, "maxProtocol": 4, "role": "operator", "scopes": ["operator.read"],
        "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli"},
        "auth": {"token": TOKEN},
    }
    return masked(json.dumps({"type": "req", "id": "c", "method": "connect", "params": params}).encode())


class NonReader(Protocol):
    """Upgrades, connects, reads up to hello-ok, then never reads again."""

    def __init__(self) -> None:
        self.received = b""
        self.hello: Deferred = Deferred()

    def connectionMade(self) -> None:
        sock = self.transport.getHandle()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.transport.write(_connect_frame())

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if b'"hello-ok"' in self.received and not self.hello.called:
            self.transport.pauseProducing()  # from now on, never read
            self.hello.callback(None)

    def send(self, frame: dict) -> None:
        self.transport.write(masked(json.dumps(frame).encode()))


async def _non_reader(reactor, gateway) -> NonReader:
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", gateway.service.port)
    client = await connectProtocol(endpoint, NonReader())
    await client.hello.addTimeout(10, reactor)
    return client


def _server_side_of(gateway, known: set):
    (conn,) = [c for c in gateway.service.hub.clients.values() if c.connId not in known]
    return conn


async def _turns(reactor, n: int = 1) -> None:
    for _ in range(n):
        await deferLater(reactor, 0, lambda: None)


@pytest_twisted.ensureDeferred
async def test_requests_of_a_client_that_does_not_read_wait_in_its_socket(reactor, gateway):
    slow = await _non_reader(reactor, gateway)
    server = _server_side_of(gateway, set())
    for n in range(20_000):
        slow.send({"type": "req", "id": str(n), "method": "health"})
    # let the gateway read, answer and try to write, for a while
    for _ in range(200):
        await _turns(reactor)
    assert server._paused
    queued = connection._buffered(server.transport)
    assert queued < 2 * 65_536 + 65_536 * 20  # a read's worth of answers, not 20 000 of them
    other = await gateway.connect()
    assert (await other.call("health"))["ok"]
