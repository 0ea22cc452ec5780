"""
Clients that offer permessage-deflate (Node's C{ws}, browsers: the real OpenClaw CLI
and Control UI) get their upgrade answered, with the offer declined.
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

_UPGRADE = (
    b"GET / HTTP/1.1\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Connection: Upgrade\r\n"
    b"Upgrade: websocket\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"Host: 127.0.0.1\r\n\r\n"
)


class _UntilChallenge(Protocol):
    def __init__(self) -> None:
        self.received = b""
        self.done: Deferred = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(_UPGRADE)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if b"connect.challenge" in self.received and not self.done.called:
            self.done.callback(self.received)
            self.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_deflate_offer_is_declined_and_the_challenge_follows(gateway, reactor):
    proto = _UntilChallenge()
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", gateway.service.port), proto)
    received = await proto.done.addTimeout(10, reactor)
    head, _, _ = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"sec-websocket-extensions" not in head.lower()
