"""Heartbeats on the clock: due, skipped, their replies' outcomes, a failing provider, set-heartbeats."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.agents.settings import DEFAULT_HEARTBEAT_PROMPT
from openclaw.cli.client import GatewayCallError
from tests.agents.heartbeat.conftest import EVERY_S, KEY, advance, checklist, next_heartbeat
from tests.agents.runs.conftest import operator, text_reply
from tests.agents.runs.test_lanes import gated_reply
from tests.agents.upstream import Reply
from twisted.internet.defer import Deferred

TASKS = "# Checks\n\n- Look at the disk usage report in notes/disk.txt\n"


@pytest_twisted.ensureDeferred
async def test_a_heartbeat_is_due_every_interval_and_a_token_reply_is_ok(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    upstream.reply(text_reply("HEARTBEAT", "_OK"))
    client = await operator(gateway)
    assert await client.call("last-heartbeat", {}) is None
    await advance(clock, client, EVERY_S - 1)
    assert upstream.requests == []
    beat = next_heartbeat(client)
    await advance(clock, client, 1)
    request = await upstream.arrived(1)
    event = await beat
    assert event["status"] == "ok-token" and event["indicatorType"] == "ok" and "preview" not in event
    assert event["ts"] == EVERY_S * 1000 and event["durationMs"] == 0  # the clock stood still meanwhile
    assert await client.call("last-heartbeat", {}) == event
    messages = request.body["messages"]
    assert TASKS.strip() in messages[0]["content"]  # HEARTBEAT.md is in the system prompt
    assert messages[-1] == {"role": "user", "content": DEFAULT_HEARTBEAT_PROMPT}
    runs = [f["payload"] for f in client.events if f["event"] == "agent"]
    assert runs and all(p["isHeartbeat"] is True for p in runs)

    upstream.reply(text_reply("HEARTBEAT_OK"))
    second = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    assert (await second)["status"] == "ok-token"
    assert len(upstream.requests) == 2


@pytest_twisted.ensureDeferred
async def test_an_empty_reply_is_ok_empty_and_a_message_is_sent_to_the_session(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    upstream.reply(text_reply(), text_reply("Disk", " is 97% full."))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    assert (await beat) == {"ts": EVERY_S * 1000, "status": "ok-empty", "durationMs": 0, "indicatorType": "ok"}
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    sent = await beat
    assert sent["status"] == "sent" and sent["indicatorType"] == "alert"
    assert (sent["channel"], sent["to"], sent["preview"]) == ("webchat", KEY, "Disk is 97% full.")
    history = await client.call("chat.history", {"sessionKey": KEY})
    assert history["messages"][-1]["content"][0]["text"] == "Disk is 97% full."


@pytest.mark.parametrize("heartbeat_config", [{"every": "30m", "ackMaxChars": 5}])
@pytest_twisted.ensureDeferred
async def test_a_token_with_more_than_ack_max_chars_of_text_is_sent(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    upstream.reply(text_reply("HEARTBEAT_OK", " but the backup failed"))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    sent = await beat
    assert sent["status"] == "sent" and sent["preview"] == "but the backup failed"


@pytest.mark.parametrize("heartbeat_config", [{"every": "30m", "target": "none"}])
@pytest_twisted.ensureDeferred
async def test_target_none_runs_but_delivers_nowhere(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    upstream.reply(text_reply("Something to say"))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    assert (await beat) == {"ts": EVERY_S * 1000, "status": "skipped", "reason": "no-target",
                            "preview": "Something to say", "durationMs": 0}


@pytest_twisted.ensureDeferred
async def test_a_failing_provider_is_a_failed_heartbeat(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    upstream.reply(Reply([b'{"error":{"message":"invalid api key","type":"invalid_request_error"}}'], status=401))
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    failed = await beat
    assert failed["status"] == "failed" and failed["indicatorType"] == "error"
    assert failed["reason"] and "sk-test" not in failed["reason"]
    assert await client.call("last-heartbeat", {}) == failed


@pytest.mark.parametrize("text", [None, "", "# Heartbeat\n\n- \n- [ ]\n<!-- add checks here -->\n"])
@pytest_twisted.ensureDeferred
async def test_no_checklist_means_no_model_call(gateway, upstream, clock, workspace, text):
    if text is not None:
        checklist(workspace, text)
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    assert (await beat)["reason"] == "empty-heartbeat-file"
    assert upstream.requests == []


@pytest_twisted.ensureDeferred
async def test_a_busy_session_skips_the_beat(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    gate = Deferred()
    upstream.reply(gated_reply(gate, "busy", " answer"))
    client = await operator(gateway)
    await advance(clock, client, EVERY_S - 1)  # (a model silent for longer would time out)
    await client.call("chat.send", {"sessionKey": KEY, "message": "long job", "idempotencyKey": "b-1"})
    await upstream.arrived(1)
    beat = next_heartbeat(client)
    await advance(clock, client, 1)
    assert (await beat)["reason"] == "requests-in-flight"
    gate.callback(None)
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("heartbeat_config", [{"every": "30m", "activeHours": {"start": "08:00", "end": "20:00",
                                                                                 "timezone": "Asia/Tokyo"}}])
@pytest_twisted.ensureDeferred
async def test_beats_outside_active_hours_are_skipped(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    client = await operator(gateway)
    beat = next_heartbeat(client)
    await advance(clock, client, 12 * 3600)  # the clock starts at 00:00 UTC: 21:00 in Tokyo (UTC+9)
    assert (await beat)["reason"] == "quiet-hours"
    beat = next_heartbeat(client)
    await advance(clock, client, 10.5 * 3600)  # 07:30 in Tokyo
    assert (await beat)["reason"] == "quiet-hours"
    assert upstream.requests == []
    upstream.reply(text_reply("HEARTBEAT_OK"))
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)  # 08:00 in Tokyo
    assert (await beat)["status"] == "ok-token"
    assert len(upstream.requests) == 1


@pytest_twisted.ensureDeferred
async def test_set_heartbeats_switches_processing_off_and_on(gateway, upstream, clock, workspace):
    checklist(workspace, TASKS)
    admin = await operator(gateway)
    reader = await operator(gateway, scopes=("operator.read", "operator.write"))
    with pytest.raises(GatewayCallError) as refused:
        await reader.call("set-heartbeats", {"enabled": False})
    assert "operator.admin" in refused.value.message
    assert await admin.call("set-heartbeats", {"enabled": False}) == {"ok": True, "enabled": False}
    beat = next_heartbeat(admin)
    await advance(clock, admin, EVERY_S)
    assert (await beat)["reason"] == "disabled"
    assert upstream.requests == []
    await admin.call("set-heartbeats", {"enabled": True})
    upstream.reply(text_reply("HEARTBEAT_OK"))
    beat = next_heartbeat(admin)
    await advance(clock, admin, EVERY_S)
    assert (await beat)["status"] == "ok-token"
