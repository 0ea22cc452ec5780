"""
A WebSocket client at the byte level, for what a well-behaved client never sends
(bad close frames, frames that nest too deeply) and for clients that stop reading.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

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


def connect_request(requestId: str = "c") -> dict:
    params = {
        "minProtocol": 4, "maxProtocol": 4, "role": "operator", "scopes": ["operator.read"],
        "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli"},
        "auth": {"token": TOKEN},
    }
    return {"type": "req", "id": requestId, "method": "connect", "params": params}


def _parse(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """The complete unmasked frames at the start of C{data}, and how many bytes they took."""
    out, used = [], 0
    while len(data) - used >= 2:
        n, at = data[used + 1] & 0x7F, used + 2
        if n == 126:
            if len(data) < at + 2:
                break
            n, at = struct.unpack("!H", data[at : at + 2])[0], at + 2
        elif n == 127:
            if len(data) < at + 8:
                break
            n, at = struct.unpack("!Q", data[at : at + 8])[0], at + 8
        if len(data) < at + n:
            break
        out.append((data[used] & 0x0F, data[at : at + n]))
        used = at + n
    return out, used


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """The (opcode, payload) of each complete frame after the HTTP head."""
    if b"\r\n\r\n" not in data:
        return []
    return _parse(data[data.index(b"\r\n\r\n") + 4 :])[0]


def close_of(data: bytes) -> tuple[int, str] | None:
    """The code and reason of the server's close frame, if it sent one."""
    for opcode, payload in server_frames(data):
        if opcode == 0x8 and len(payload) >= 2:
            return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")
    return None


def messages(data: bytes) -> list[dict]:
    return [json.loads(p) for op, p in server_frames(data) if op == 0x1]


class RawClient(Protocol):
    """
    Upgrades and (with C{connect}) sends the connect request; records every byte and
    answers a close frame with one, as a client should. C{challenged}/C{hello} fire
    when those arrive, C{lost} when the TCP connection ends. With C{rcvbuf} the
    socket gets that small a receive buffer.
    """

    def __init__(self, connect: bool = True, rcvbuf: int | None = None) -> None:
        self.received = b""
        self._connect = connect
        self._rcvbuf = rcvbuf
        self._pending = b""
        self._head = True
        self._waiting: list[tuple[bytes, Deferred]] = []
        self.challenged: Deferred = Deferred()
        self.hello: Deferred = Deferred()
        self.lost: Deferred = Deferred()

    def connectionMade(self) -> None:
        if self._rcvbuf:
            self.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._rcvbuf)
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        self._pending += data
        if self._head:
            if b"\r\n\r\n" not in self._pending:
                return
            self._head = False
            self._pending = self._pending[self._pending.index(b"\r\n\r\n") + 4 :]
        parsed, used = _parse(self._pending)
        self._pending = self._pending[used:]
        for opcode, payload in parsed:
            if opcode == 0x8:
                self.sendRaw(payload[:2], opcode=0x8)
            elif opcode == 0x1 and b"connect.challenge" in payload and not self.challenged.called:
                self.challenged.callback(None)
                if self._connect:
                    self.send(connect_request())
            elif opcode == 0x1 and b'"hello-ok"' in payload and not self.hello.called:
                self.hello.callback(None)
        waiting, self._waiting = self._waiting, []
        for marker, d in waiting:
            if marker in self.received:
                d.callback(None)
            else:
                self._waiting.append((marker, d))

    def until(self, marker: bytes) -> Deferred:
        """Fires once C{marker} was received, or the connection ended."""
        d: Deferred = Deferred()
        if marker in self.received or self.lost.called:
            d.callback(None)
        else:
            self._waiting.append((marker, d))
        return d

    def connectionLost(self, reason) -> None:
        self.lost.callback(self.received)
        waiting, self._waiting = self._waiting, []
        for _, d in waiting:
            d.callback(None)

    def send(self, frame: dict) -> None:
        self.sendRaw(json.dumps(frame).encode())

    def sendRaw(self, payload: bytes, opcode: int = 0x1) -> None:
        self.transport.write(masked(payload, opcode))


async def open_raw(reactor, port: int, connect: bool = True, rcvbuf: int | None = None) -> RawClient:
    """A L{RawClient} past the challenge (and, with C{connect}, past hello-ok)."""
    client = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), RawClient(connect, rcvbuf))
    await (client.hello if connect else client.challenged).addTimeout(10, reactor)
    return client
