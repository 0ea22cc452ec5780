"""Requests after hello-ok: framing rules, scope checks, params validation, core methods."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from openclaw.protocol import frames


async def _answer(client, frame):
    """Send a raw frame and wait for the response with the given (or 'invalid') id."""
    before = len(client.frames)
    client.sendFrame(frame)
    probe = await client.call("health")  # responses come in order: ours precedes this one
    assert probe["ok"]
    return [f for f in client.frames[before:] if f["type"] == "res"][0]


@pytest_twisted.ensureDeferred
async def test_invalid_frame_after_hello_answers_with_id_invalid(gateway):
    client = await gateway.connect()
    res = await _answer(client, {"type": "req", "method": "health"})
    assert res == {
        "type": "res", "id": "invalid", "ok": False,
        "error": {"code": "INVALID_REQUEST", "message": "invalid request frame: must have required property 'id'"},
    }
    res = await _answer(client, {"type": "event", "event": "x"})
    assert res["error"]["message"] == (
        "invalid request frame: must have required property 'id'; "
        "at root: unexpected property 'event'; at /type: must be equal to constant"
    )
    res = await _answer(client, {"type": "req", "id": "7", "method": "health", "extra": 1})
    assert res["id"] == "7" and res["error"]["message"] == "invalid request frame: at root: unexpected property 'extra'"


@pytest_twisted.ensureDeferred
async def test_malformed_json_after_hello_is_ignored(gateway):
    client = await gateway.connect()
    before = len(client.frames)
    client.sendRaw(b"{oops")
    assert (await client.call("health"))["ok"]
    assert [f["type"] for f in client.frames[before:] if f["type"] == "res"] == ["res"]
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_missing_params_means_empty_object(gateway):
    client = await gateway.connect()
    res = await _answer(client, frames.request("1:x", "status"))
    assert res["ok"] and res["payload"]["runtimeVersion"]


@pytest_twisted.ensureDeferred
async def test_unknown_method_needs_admin_first(gateway):
    reader = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await reader.call("no.such.method")
    assert (caught.value.code, caught.value.message) == ("FORBIDDEN", "missing scope: operator.admin")
    admin = await gateway.connect(scopes=["operator.admin"])
    with pytest.raises(GatewayCallError) as caught:
        await admin.call("no.such.method")
    assert (caught.value.code, caught.value.message) == ("INVALID_REQUEST", "unknown method: no.such.method")


@pytest_twisted.ensureDeferred
async def test_second_connect_is_an_ordinary_unknown_method(gateway):
    client = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await client.call("connect", {"minProtocol": 4})
    assert caught.value.message == "missing scope: operator.admin"
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_bad_params(gateway):
    client = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await client.call("status", {"bogus": 1})
    assert caught.value.message == "invalid status params: at root: unexpected property 'bogus'"
    with pytest.raises(GatewayCallError) as caught:
        await client.call("health", {"probe": "yes"})
    assert caught.value.message == "invalid health params: at /probe: must be boolean"


@pytest_twisted.ensureDeferred
async def test_write_scope_satisfies_read(gateway):
    client = await gateway.connect(scopes=["operator.write"])
    assert (await client.call("system-presence"))[0]["mode"] == "gateway"


@pytest_twisted.ensureDeferred
async def test_health_status_and_presence_shapes(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    health = await client.call("health", {"probe": True})
    assert health["ok"] is True and health["channels"] == {} and health["channelOrder"] == []
    assert health["defaultAgentId"] == "main"
    assert health["configReload"] == {"hotReloadStatus": "active"}  # the config watcher runs (mode hybrid)
    assert set(health["eventLoop"]) >= {"degraded", "delayP99Ms", "utilization"}
    status = await client.call("status", {"includeChannelSummary": False})
    assert status["pid"] > 0 and status["channelSummary"] == []
    assert status["sessions"]["paths"] == [] and status["sessions"]["byAgent"][0]["path"] == "[redacted]"
    presence = await client.call("system-presence")
    assert presence[0]["reason"] == "self" and presence[0]["text"].startswith("Gateway: ")


@pytest_twisted.ensureDeferred
async def test_presence_events_for_ui_clients_only(gateway):
    watcher = await gateway.connect(scopes=["operator.read"])
    cli = await gateway.connect(scopes=["operator.read"])  # cli clients have no presence
    node = await gateway.connect(clientId="node-host", mode="node", role="node", scopes=[])
    await node.close()
    await watcher.call("health")
    presence = [f for f in watcher.events if f["event"] == "presence"]
    assert [p["payload"]["presence"][-1]["reason"] for p in presence] == ["connect", "disconnect"]
    assert presence[0]["payload"]["presence"][1]["host"] == "node-host"
    assert presence[1]["stateVersion"]["presence"] == presence[0]["stateVersion"]["presence"] + 1
    seqs = [f["seq"] for f in watcher.events]
    assert seqs == list(range(1, len(seqs) + 1))
    # the cli client is not in presence itself, but as a reader it sees the node come and go
    assert [f["payload"]["presence"][-1]["reason"] for f in cli.events if f["event"] == "presence"] == [
        "connect", "disconnect",
    ]
    assert all(e["host"] != "cli" for f in cli.events if f["event"] == "presence" for e in f["payload"]["presence"])


@pytest_twisted.ensureDeferred
async def test_probe_without_scopes_receives_no_presence(gateway):
    probe = await gateway.connect(mode="probe", minProtocol=3, maxProtocol=4)
    node = await gateway.connect(clientId="node-host", mode="node", role="node", scopes=[])
    await node.close()
    await probe.call("health")
    assert not [f for f in probe.events if f["event"] == "presence"]
