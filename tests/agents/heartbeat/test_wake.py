"""C{wake}: a text for the next heartbeat, or a heartbeat now, in the agent's heartbeat session or another."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.agents.heartbeat.conftest import EVERY_S, KEY, advance, checklist, next_heartbeat
from tests.agents.runs.conftest import operator, text_reply


@pytest_twisted.ensureDeferred
async def test_next_heartbeat_texts_wait_for_the_beat_and_run_it_without_a_checklist(gateway, upstream, clock):
    upstream.reply(text_reply("Reminder:", " call the plumber"))
    client = await operator(gateway)
    assert await client.call("wake", {"mode": "next-heartbeat", "text": "plumber at 3"}) == {"ok": True}
    await client.call("wake", {"mode": "next-heartbeat", "text": "and the bins"})
    assert (await client.call("status", {}))["queuedSystemEvents"] == ["plumber at 3", "and the bins"]
    assert upstream.requests == [] and await client.call("last-heartbeat", {}) is None
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)  # no HEARTBEAT.md: the queued texts are the reason to run
    sent = await beat
    assert sent["status"] == "sent" and sent["preview"] == "Reminder: call the plumber"
    prompt = upstream.requests[0].body["messages"][-1]["content"]
    assert prompt.endswith("System event: plumber at 3\n\nSystem event: and the bins")
    assert (await client.call("status", {}))["queuedSystemEvents"] == []


@pytest_twisted.ensureDeferred
async def test_now_runs_a_heartbeat_at_once(gateway, upstream, workspace):
    checklist(workspace, "- water the plants\n")
    upstream.reply(text_reply("HEARTBEAT_OK"))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    assert await client.call("wake", {"mode": "now", "text": "door bell rang"}) == {"ok": True}
    assert (await beat)["status"] == "ok-token"
    assert upstream.requests[0].body["messages"][-1]["content"].endswith("System event: door bell rang")


@pytest_twisted.ensureDeferred
async def test_a_wake_naming_a_session_runs_there_now(gateway, upstream):
    upstream.reply(text_reply("Build", " broke"))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await client.call("wake", {"mode": "next-heartbeat", "text": "CI finished", "sessionKey": "ops"})
    sent = await beat
    assert (sent["status"], sent["to"]) == ("sent", "agent:main:ops")
    history = await client.call("chat.history", {"sessionKey": "agent:main:ops"})
    assert history["messages"][-1]["content"][0]["text"] == "Build broke"
    assert (await client.call("chat.history", {"sessionKey": KEY}))["messages"] == []


@pytest.mark.parametrize("params, message", [
    ({"sessionKey": "agent:main:subagent:x1"}, "wake sessionKey cannot target a subagent session"),
    ({"sessionKey": "agent:ops:main", "agentId": "main"}, "wake agentId contradicts the agent that owns sessionKey"),
    ({"agentId": "nobody"}, 'unknown agent id "nobody"'),
    ({"mode": "later"}, "invalid wake params"),
])
@pytest_twisted.ensureDeferred
async def test_wake_refuses_targets_it_cannot_wake(gateway, upstream, params, message):
    client = await operator(gateway)
    with pytest.raises(GatewayCallError) as refused:
        await client.call("wake", {"mode": "now", "text": "x", **params})
    assert message in refused.value.message
    assert await client.call("wake", {"mode": "now", "text": "x", "sessionKey": "global"}) == {
        "ok": False, "reason": "unwakeable-session-key"}
    assert upstream.requests == []
