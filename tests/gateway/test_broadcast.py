"""
A broadcast is encoded once, whatever the number of clients; each client still gets
its own C{seq}, and only clients whose scopes allow the event get it.
"""

from __future__ import annotations

import pytest_twisted

from openclaw.protocol import frames, scopes


def _encodes(monkeypatch) -> list:
    """Every C{frames.encode} call from now on."""
    calls: list = []
    real = frames.encode

    def spy(obj):
        calls.append(obj)
        return real(obj)

    monkeypatch.setattr(frames, "encode", spy)
    return calls


@pytest_twisted.ensureDeferred
async def test_one_encoding_per_broadcast_and_a_seq_per_client(gateway, monkeypatch):
    readers = [await gateway.connect() for _ in range(5)]
    for client in readers[:2]:
        await client.call("health")  # their seq counters now differ from the others' only by events
    hub = gateway.service.hub
    encodes = _encodes(monkeypatch)
    hub.broadcast("presence", {"presence": [{"ts": 1, "text": "marker"}]}, withState=True)
    hub.broadcast("tick", {"ts": 2})
    assert [e["event"] for e in encodes] == ["presence", "tick"]
    monkeypatch.undo()
    for client in readers:
        await client.call("health")  # everything broadcast before it has arrived
        presence, tick = [e for e in client.events if e["event"] in ("presence", "tick")]
        assert presence["payload"]["presence"][0]["text"] == "marker"
        assert presence["stateVersion"] == dict(hub.stateVersion)
        assert (tick["event"], tick["payload"]) == ("tick", {"ts": 2})
        assert tick["seq"] == presence["seq"] + 1


@pytest_twisted.ensureDeferred
async def test_scopes_decide_who_receives(gateway, monkeypatch):
    reader = await gateway.connect(scopes=[scopes.READ])
    pairing = await gateway.connect(scopes=[scopes.PAIRING])
    checked: list = []
    real = scopes.may_receive
    monkeypatch.setattr(scopes, "may_receive", lambda granted, event: checked.append(granted) or real(granted, event))
    extra = [await gateway.connect(scopes=[scopes.READ]) for _ in range(3)]
    gateway.service.hub.broadcast("presence", {"presence": [{"ts": 1}]})
    assert sorted(checked) == sorted({(scopes.READ,), (scopes.PAIRING,)})  # once per set of scopes, not per client
    monkeypatch.undo()
    for client in (reader, pairing, *extra):
        await client.call("health")
    assert all([e["event"] for e in c.events].count("presence") == 1 for c in (reader, *extra))
    assert "presence" not in [e["event"] for e in pairing.events]
