"""
Timers on a hand-driven Clock while the sockets stay real: tick, keepalive pings,
the handshake timeout, failed-auth delays and health events.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from zope.interface import implementer

from openclaw.channels.base import IChannel
from openclaw.cli.client import ConnectRejected, connect_params
from openclaw.protocol import frames


@pytest.fixture
def gateway_clock():
    return Clock()


async def _roundtrip(client):
    """Let the reactor deliver everything already sent to this client."""
    await client.call("health")


async def _advance(gateway, clock, seconds: float, step: float = 5.0):
    """
    Move the gateway's clock in steps, letting real socket I/O (such as the
    client's automatic pongs) happen in between, as it would in real time.
    """
    while seconds > 0:
        clock.advance(min(step, seconds))
        seconds -= step
        await _settle(gateway)


@pytest_twisted.ensureDeferred
async def test_tick_every_30s_to_every_client(gateway, gateway_clock):
    a = await gateway.connect()
    b = await gateway.connect(mode="probe", minProtocol=3, maxProtocol=4)  # no scopes: still ticks
    await _advance(gateway, gateway_clock, 29.9)
    await _roundtrip(a)
    assert not [e for e in a.events if e["event"] == "tick"]
    await _advance(gateway, gateway_clock, 0.1)
    await _advance(gateway, gateway_clock, 30)
    await _roundtrip(a)
    await _roundtrip(b)
    for client in (a, b):
        ticks = [e for e in client.events if e["event"] == "tick"]
        assert len(ticks) == 2
        assert ticks[1]["payload"]["ts"] - ticks[0]["payload"]["ts"] == 30_000
    assert [e["seq"] for e in a.events] == list(range(1, len(a.events) + 1))


@pytest_twisted.ensureDeferred
async def test_keepalive_ping_and_dead_peer(gateway, gateway_clock):
    client = await gateway.connect()
    pings = []
    proto = gateway.service.hub.clients[client.hello["server"]["connId"]]
    proto.sendPing = lambda payload=None: pings.append(payload)  # a peer that never pongs
    gateway_clock.advance(25)
    assert len(pings) == 1
    gateway_clock.advance(25)
    code, _ = await client.closed
    assert code != 1000 and client.closeCode is not None


@pytest_twisted.ensureDeferred
async def test_answered_pings_keep_the_connection(gateway, gateway_clock):
    client = await gateway.connect()
    await _advance(gateway, gateway_clock, 100)  # four pings, each answered in time
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_no_connect_within_15s_closes_with_1000(gateway, gateway_clock):
    client, connected = gateway.open(None)
    await connected
    await client.challenged
    gateway_clock.advance(14.9)
    assert not client.closed.called
    gateway_clock.advance(0.1)
    code, reason = await client.closed
    assert (code, reason) == (1000, "")


@pytest_twisted.ensureDeferred
async def test_failed_auth_replies_are_delayed_and_escalate(gateway, gateway_clock):
    limiter = gateway.service.hub.limiter
    decided: list[float] = []
    failed = limiter.failed
    limiter.failed = lambda *args: decided.append(failed(*args)) or decided[-1]
    for attempts in range(1, 4):
        attempt = Deferred.fromCoroutine(gateway.connect(token="wrong"))
        await _until(gateway, lambda: len(decided) == attempts)
        delay = decided[-1]
        gateway_clock.advance(delay - 0.01)
        await _settle(gateway)
        assert not attempt.called
        gateway_clock.advance(0.01)
        with pytest.raises(ConnectRejected):
            await attempt
    assert decided == [0.25, 0.5, 1.0]


@pytest_twisted.ensureDeferred
async def test_a_refusal_due_after_the_handshake_timeout_is_still_sent(gateway, gateway_clock):
    client, connected = gateway.open(None)
    await connected
    await client.challenged
    gateway_clock.advance(14.9)
    client.sendFrame(frames.request("c1", "connect", connect_params(token="wrong")))
    await _settle(gateway)
    gateway_clock.advance(0.2)  # the handshake timeout passes while the refusal waits
    await _settle(gateway)
    assert not client.closed.called
    gateway_clock.advance(0.05)
    code, _ = await client.closed
    [answer] = [f for f in client.frames if f.get("type") == "res"]
    assert answer["id"] == "c1" and answer["error"]["message"].startswith("unauthorized: gateway token mismatch")
    assert code == 1008


async def _until(gateway, condition, rounds: int = 2000):
    """Let real socket I/O run (the clock stands still) until C{condition()} holds."""
    for _ in range(rounds):
        if condition():
            return
        await _settle(gateway)
    raise AssertionError("the gateway never got there")


async def _settle(gateway):
    """Let real socket I/O run (the Clock only drives the gateway's timers)."""
    from twisted.internet.task import deferLater

    await deferLater(gateway.reactor, 0.01, lambda: None)


@implementer(IChannel)
class _FakeChannelService:
    """A stand-in channel to make health content change."""

    channelId = "irc"
    label = "IRC"

    def health(self):
        return {"accountId": "default", "configured": True, "running": True}

    def summary(self):
        return "IRC: running"


@pytest_twisted.ensureDeferred
async def test_health_event_only_when_health_changes(gateway, gateway_clock):
    client = await gateway.connect()
    await _advance(gateway, gateway_clock, 60)  # a refresh with nothing new: no event
    await _roundtrip(client)
    assert not [e for e in client.events if e["event"] == "health"]
    channels = gateway.service.channels
    channels.services.append(_FakeChannelService())
    try:
        await _advance(gateway, gateway_clock, 60)
        await _roundtrip(client)
        health = [e for e in client.events if e["event"] == "health"]
        assert len(health) == 1
        assert health[0]["payload"]["channels"]["irc"]["running"] is True
        assert health[0]["stateVersion"]["health"] == client.hello["snapshot"]["stateVersion"]["health"] + 1
    finally:
        channels.services.clear()
