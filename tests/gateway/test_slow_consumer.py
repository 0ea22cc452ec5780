"""
Clients that never read, over real sockets with a tiny receive buffer: the gateway
stops reading their requests while their answers wait, closes them with 1008 once
what is queued for them passes the limit (and drops them when even the close cannot
be written), and keeps serving everyone else meanwhile.
"""

from __future__ import annotations

import fcntl
import struct
import termios

import pytest_twisted
from twisted.internet.task import deferLater
from twisted.logger import globalLogPublisher

from openclaw.gateway import connection
from tests.support.rawws import open_raw


def _newest_server_side(gateway, known: set):
    (conn,) = [c for c in gateway.service.hub.clients.values() if c.connId not in known]
    return conn


def _unsent(transport) -> int:
    """The bytes in a socket's send queue that the peer has not acknowledged yet (Linux)."""
    raw = fcntl.ioctl(transport.getHandle().fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    return struct.unpack("i", raw)[0]


async def _turn(reactor) -> None:
    await deferLater(reactor, 0, lambda: None)


@pytest_twisted.ensureDeferred
async def test_requests_of_a_client_that_does_not_read_wait_in_its_socket(reactor, gateway):
    slow = await open_raw(reactor, gateway.service.port, rcvbuf=1024)
    server = _newest_server_side(gateway, set())
    slow.transport.pauseProducing()  # from now on, never read
    for n in range(20_000):
        slow.send({"type": "req", "id": str(n), "method": "health"})
    for _ in range(200):  # let the gateway read, answer and write for a while
        await _turn(reactor)
    # Answers go to the kernel until its send buffer is full, then queue here until
    # the gateway stops reading; unless TCP stalled the requests earlier (the
    # client's tiny receive window also holds back its acknowledgements).
    assert server._paused or _unsent(slow.transport) > 0
    assert connection._buffered(server.transport) < 2_000_000  # one read's answers, not 20 000
    other = await gateway.connect()
    assert (await other.call("health"))["ok"]


@pytest_twisted.ensureDeferred
async def test_a_client_that_does_not_read_is_closed_and_dropped(reactor, gateway, monkeypatch):
    monkeypatch.setattr(connection, "MAX_BUFFERED_BYTES", 256 * 1024)
    other = await gateway.connect()
    known = set(gateway.service.hub.clients)
    slow = await open_raw(reactor, gateway.service.port, rcvbuf=1024)
    server = _newest_server_side(gateway, known)
    slow.transport.pauseProducing()
    logged: list[dict] = []
    globalLogPublisher.addObserver(logged.append)
    try:
        hub = gateway.service.hub
        big = "x" * 65_536  # only the slow client gets these (our schema-checked client could not)
        for n in range(400):  # bounded: 25 MiB, far more than the limit and the kernel's buffers
            if server.phase != "ready":
                break
            hub.broadcast("tick", {"ts": n})
            server.sendEvent("tick", {"ts": n, "padding": big}, None)
            await _turn(reactor)  # the reactor writes what the kernel takes
        assert server.phase == "closing"
        await server.whenClosed()  # the close frame cannot be written: dropped after the grace
    finally:
        globalLogPublisher.removeObserver(logged.append)
    slow.transport.resumeProducing()  # reading again, it finds the connection gone
    await slow.lost.addTimeout(30, reactor)
    assert [e["log_format"] for e in logged if e.get("log_namespace") == "gateway/ws" and "slow consumer" in e.get("log_format", "")]
    (record,) = [r for r in hub.diagnostics.snapshot()["events"] if r.get("reason") == "slow_consumer"]
    assert record["bytes"] > 256 * 1024
    assert (await other.call("health"))["ok"]
    assert [e["event"] for e in other.events].count("tick") >= 1


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest_twisted.ensureDeferred
async def test_what_was_queued_for_a_dropped_slow_consumer_is_given_back(reactor, gateway):
    """At the real limit: the process grows by what it queued, and shrinks again once the client is dropped."""
    slow = await open_raw(reactor, gateway.service.port, rcvbuf=1024)
    server = _newest_server_side(gateway, set())
    slow.transport.pauseProducing()
    before = _rss()
    peak = before
    chunk = "x" * 32_768  # small frames: they stay in the heap, not in pages of their own
    for n in range(4_000):  # bounded: 128 MiB at most, far beyond the 50 MiB limit
        if server.phase != "ready":
            break
        server.sendEvent("tick", {"ts": n, "padding": chunk}, None)
        if n % 64 == 0:
            peak = max(peak, _rss())
            await _turn(reactor)
    assert server.phase == "closing"
    await server.whenClosed()
    for _ in range(3):  # the heap is trimmed on a later turn
        await _turn(reactor)
    after = _rss()
    mib = 1024 * 1024
    assert peak - before > 32 * mib, (before, peak)  # it really held what it queued
    assert after - before < 16 * mib, (before, peak, after)
    slow.transport.resumeProducing()
    await slow.lost.addTimeout(30, reactor)
