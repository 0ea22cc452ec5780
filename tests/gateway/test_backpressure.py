"""A client that stops reading: droppable events are skipped, others close it with 1008."""

from __future__ import annotations

import pytest_twisted

from openclaw.gateway import connection


def _server_side(gateway, client):
    return gateway.service.hub.clients[client.hello["server"]["connId"]]


@pytest_twisted.ensureDeferred
async def test_slow_consumer_is_closed(gateway, monkeypatch):
    monkeypatch.setattr(connection, "MAX_BUFFERED_BYTES", 2_000)
    client = await gateway.connect()
    server = _server_side(gateway, client)
    server.pauseProducing()  # what the transport does once the peer's buffer is full
    hub = gateway.service.hub
    for _ in range(40):
        hub.broadcast("tick", {"ts": 1})
    code, reason = await client.closed
    assert (code, reason) == (1008, "slow consumer")


@pytest_twisted.ensureDeferred
async def test_droppable_events_leave_a_seq_gap(gateway, monkeypatch):
    monkeypatch.setattr(connection, "MAX_BUFFERED_BYTES", 200)
    client = await gateway.connect()
    server = _server_side(gateway, client)
    server.pauseProducing()
    payload = {"presence": [{"ts": 1, "text": "x" * 300}]}
    gateway.service.hub.broadcast("presence", payload, dropIfSlow=True)
    server.resumeProducing()
    gateway.service.hub.broadcast("tick", {"ts": 2})
    await client.call("health")
    assert [(e["event"], e["seq"]) for e in client.events] == [("tick", 2)]
    assert not client.closed.called
