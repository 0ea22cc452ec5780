"""The heartbeat fields of C{health} and C{status}, and a channel target without a route."""

from __future__ import annotations

import dataclasses

import pytest
import pytest_twisted

from openclaw.agents.settings import DEFAULT_HEARTBEAT_PROMPT
from tests.agents.heartbeat.conftest import EVERY_S, advance, checklist, next_heartbeat
from tests.agents.runs.conftest import operator, text_reply


@pytest_twisted.ensureDeferred
async def test_health_and_status_report_the_heartbeat(gateway):
    client = await operator(gateway)
    health = await client.call("health", {"probe": True})
    assert health["heartbeatSeconds"] == EVERY_S
    assert health["agents"][0]["heartbeat"] == {
        "enabled": True, "every": "30m", "everyMs": EVERY_S * 1000, "prompt": DEFAULT_HEARTBEAT_PROMPT,
        "target": "owner", "ackMaxChars": 300,
    }
    status = await client.call("status", {})
    assert status["heartbeat"] == {"defaultAgentId": "main", "agents": [
        {"agentId": "main", "enabled": True, "every": "30m", "everyMs": EVERY_S * 1000, "waitingForRoute": False}]}


@pytest.mark.parametrize("heartbeat_config", [{"every": "0m"}])
@pytest_twisted.ensureDeferred
async def test_every_0m_turns_heartbeats_off(gateway, clock, upstream, workspace):
    checklist(workspace, "- something\n")
    client = await operator(gateway)
    health = await client.call("health", {"probe": True})
    assert health["heartbeatSeconds"] == 0
    assert health["agents"][0]["heartbeat"]["enabled"] is False and health["agents"][0]["heartbeat"]["everyMs"] is None
    await advance(clock, client, 10 * EVERY_S)
    assert await client.call("last-heartbeat", {}) is None and upstream.requests == []


@pytest.mark.parametrize("heartbeat_config", [{"every": "30m", "target": "telegram", "to": "12345"}])
@pytest_twisted.ensureDeferred
async def test_a_channel_target_without_an_account_waits_for_a_route_and_fails_to_deliver(
    gateway, clock, upstream, workspace,
):
    checklist(workspace, "- something\n")
    upstream.reply(text_reply("Needs you"))
    client = await operator(gateway)
    assert (await client.call("status", {}))["heartbeat"]["agents"][0]["waitingForRoute"] is True
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    failed = await beat
    assert failed["status"] == "failed" and failed["channel"] == "telegram" and failed["to"] == "12345"
    assert "no configured telegram account 'default'" in failed["reason"]


@pytest_twisted.ensureDeferred
async def test_a_reload_that_changes_every_starts_the_timer_over(gateway, clock, upstream, workspace):
    checklist(workspace, "- something\n")
    client = await operator(gateway)
    await advance(clock, client, EVERY_S / 2)
    tree = gateway.service.tree
    old = tree.settings
    faster = dataclasses.replace(old.agents.heartbeat, every="10m", everyMs=600_000)
    assert tree.applySettings(dataclasses.replace(old, agents=dataclasses.replace(old.agents, heartbeat=faster)),
                              frozenset({"agents"}))
    assert (await client.call("health", {"probe": True}))["heartbeatSeconds"] == 600
    upstream.reply(text_reply("HEARTBEAT_OK"))
    beat = next_heartbeat(client)
    await advance(clock, client, 600)  # ten minutes after the reload, not thirty after the start
    assert (await beat)["ts"] == (EVERY_S / 2 + 600) * 1000
    off = dataclasses.replace(old.agents.heartbeat, every="0m", everyMs=0)
    tree.applySettings(dataclasses.replace(old, agents=dataclasses.replace(old.agents, heartbeat=off)),
                       frozenset({"agents"}))
    await advance(clock, client, 10 * EVERY_S)
    assert len(upstream.requests) == 1
