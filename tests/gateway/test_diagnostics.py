"""C{diagnostics.stability} (the stability recorder), C{doctor.memory.status} and C{last-heartbeat}."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from openclaw.cli.client import GatewayCallError
from openclaw.gateway import connection
from openclaw.gateway.diagnostics import StabilityRecorder


def test_recorder_keeps_the_newest_and_counts_what_it_dropped():
    clock = Clock()
    clock.advance(1_795_485_637.68)
    recorder = StabilityRecorder(clock, capacity=3)
    for n in range(5):
        recorder.record("payload.large" if n % 2 else "other", n=n)
    snap = recorder.snapshot(limit=2)
    assert snap["generatedAt"] == "2026-11-24T02:00:37.680Z"
    assert (snap["capacity"], snap["count"], snap["dropped"]) == (3, 3, 2)
    assert [e["seq"] for e in snap["events"]] == [4, 5]
    assert (snap["firstSeq"], snap["lastSeq"]) == (3, 5)
    assert snap["summary"] == {"byType": {"other": 2, "payload.large": 1}}
    only = recorder.snapshot(type="payload.large", sinceSeq=3)
    assert [e["seq"] for e in only["events"]] == [4]
    none = recorder.snapshot(type="telemetry.exporter")
    assert none["count"] == 0 and none["events"] == [] and "firstSeq" not in none


@pytest_twisted.ensureDeferred
async def test_stability_reports_a_slow_consumer_close(gateway, monkeypatch):
    monkeypatch.setattr(connection, "MAX_BUFFERED_BYTES", 2_000)
    watcher = await gateway.connect()
    assert (await watcher.call("diagnostics.stability", {}))["count"] == 0
    slow = await gateway.connect()
    server = gateway.service.hub.clients[slow.hello["server"]["connId"]]
    server.pauseProducing()
    for _ in range(40):
        server.sendEvent("tick", {"ts": 1}, None)
    assert await slow.closed == (1008, "slow consumer")
    snap = await watcher.call("diagnostics.stability", {"type": "payload.large", "limit": 10})
    [event] = snap["events"]
    assert event["surface"] == "gateway.ws" and event["action"] == "rejected"
    assert event["reason"] == "slow_consumer" and event["bytes"] > event["limitBytes"] == 2_000


@pytest_twisted.ensureDeferred
async def test_stability_params_are_checked(gateway):
    client = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await client.call("diagnostics.stability", {"limit": 0})
    assert caught.value.code == "INVALID_REQUEST"
    probe = await gateway.connect(clientId="cli", mode="probe", minProtocol=3)
    with pytest.raises(GatewayCallError) as caught:
        await probe.call("diagnostics.stability", {})
    assert caught.value.code == "FORBIDDEN"


@pytest_twisted.ensureDeferred
async def test_memory_status_says_there_is_no_memory_search(gateway):
    client = await gateway.connect()
    assert await client.call("doctor.memory.status", {"probe": False}) == {
        "agentId": "main",
        "searchRuntimeRegistered": False,
        "embedding": {"ok": False, "error": "memory search unavailable"},
    }
    with pytest.raises(GatewayCallError) as caught:
        await client.call("doctor.memory.status", {"agentId": "nobody"})
    assert caught.value.error["message"] == 'unknown agent id "nobody"'


@pytest_twisted.ensureDeferred
async def test_last_heartbeat_is_empty_without_heartbeat_runs(gateway):
    client = await gateway.connect()
    assert await client.call("last-heartbeat", {}) is None
    probe = await gateway.connect(clientId="cli", mode="probe", minProtocol=3)
    with pytest.raises(GatewayCallError) as caught:
        await probe.call("last-heartbeat")
    assert caught.value.code == "FORBIDDEN"
