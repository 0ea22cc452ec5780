"""chat.send, chat.abort (and /stop), chat.inject through a whole gateway."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import chunk, event_arrived, operator, run_events, terminal_chat, text_reply
from tests.agents.upstream import Reply, closed_by_client

KEY = "agent:main:main"


def hanging_reply(*words: str) -> Reply:
    """Streams C{words}, then sends nothing more (the gate never opens)."""
    return Reply([chunk({"role": "assistant", "content": ""}), *[chunk({"content": w}) for w in words], Deferred()])


def first_delta(client, runId: str) -> Deferred:
    return event_arrived(client, lambda f: f["event"] == "chat" and f["payload"]["runId"] == runId
                         and f["payload"]["state"] == "delta")


@pytest_twisted.ensureDeferred
async def test_send_is_acknowledged_at_once_and_the_reply_arrives_as_chat_events(gateway, upstream):
    upstream.reply(text_reply("Hi", "!"))
    client = await operator(gateway)
    ack = await client.call("chat.send", {"sessionKey": "main", "message": "hello", "deliver": False, "idempotencyKey": "c-1"})
    assert ack == {"runId": "c-1", "status": "started"}
    final = (await terminal_chat(client, "c-1"))["payload"]
    assert final["state"] == "final" and final["sessionKey"] == KEY and final["message"]["content"][0]["text"] == "Hi!"
    statuses = [c["phase"] for c in run_events(client, "c-1", "chat") if c["state"] == "status"]
    assert statuses == ["preparing_context", "starting_model"]
    assert all(e["isHeartbeat"] is False for e in run_events(client, "c-1"))
    done = await client.call("chat.send", {"sessionKey": KEY, "message": "hello", "idempotencyKey": "c-1"})
    assert done == {"runId": "c-1", "status": "ok"}
    assert len(upstream.requests) == 1


@pytest_twisted.ensureDeferred
async def test_abort_mid_stream_closes_the_upstream_and_keeps_the_partial_reply(gateway, upstream, reactor):
    upstream.reply(hanging_reply("Par", "tial"))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "stream slowly", "idempotencyKey": "c-2"})
    seen = await upstream.arrived(1)
    await first_delta(client, "c-2")
    again = await client.call("chat.send", {"sessionKey": KEY, "message": "stream slowly", "idempotencyKey": "c-2"})
    assert again == {"runId": "c-2", "status": "in_flight"}
    closed = closed_by_client(seen, reactor)
    closedAt: list[float] = []
    closed.addCallback(lambda wasClosed: closedAt.append(reactor.seconds()) or wasClosed)
    sentAt = reactor.seconds()
    answer = await client.call("chat.abort", {"sessionKey": KEY, "runId": "c-2"})
    assert answer == {"ok": True, "aborted": True, "runIds": ["c-2"]}
    assert await closed
    assert closedAt[0] - sentAt < 0.1
    aborted = run_events(client, "c-2", "chat")[-1]
    end = run_events(client, "c-2")[-1]
    assert aborted["state"] == "aborted" and aborted["stopReason"] == "rpc" and aborted["seq"] == end["seq"]
    assert aborted["message"]["content"] == [{"type": "text", "text": "Partial"}]
    assert end["data"]["phase"] == "end" and end["data"]["aborted"] is True and end["data"]["stopReason"] == "rpc"
    wait = await client.call("agent.wait", {"runId": "c-2", "timeoutMs": 1000})
    assert wait["status"] == "timeout" and wait["stopReason"] == "rpc" and wait["providerStarted"] is True
    store = gateway.service.tree.agents.stores.store("main")
    messages = [e.message for e in await store.transcript(KEY)]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["content"] == [{"type": "text", "text": "Partial"}] and messages[1]["stopReason"] == "aborted"


@pytest_twisted.ensureDeferred
async def test_stop_command_and_abort_checks(gateway, upstream):
    upstream.reply(hanging_reply("x"))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "go", "idempotencyKey": "c-3"})
    await first_delta(client, "c-3")
    with pytest.raises(GatewayCallError) as mismatch:
        await client.call("chat.abort", {"sessionKey": "agent:main:other", "runId": "c-3"})
    assert (mismatch.value.code, mismatch.value.message) == ("INVALID_REQUEST", "runId does not match sessionKey")
    assert await client.call("chat.abort", {"sessionKey": KEY, "runId": "nope"}) == {"ok": True, "aborted": False, "runIds": []}
    stopped = await client.call("chat.send", {"sessionKey": KEY, "message": "/stop", "idempotencyKey": "c-4"})
    assert stopped == {"ok": True, "aborted": True, "runIds": ["c-3"]}
    assert (await terminal_chat(client, "c-3"))["payload"]["stopReason"] == "stop"


@pytest_twisted.ensureDeferred
async def test_inject_appends_an_assistant_message_without_a_run(gateway, upstream):
    client = await operator(gateway)
    with pytest.raises(GatewayCallError) as missing:
        await client.call("chat.inject", {"sessionKey": KEY, "message": "note"})
    assert (missing.value.code, missing.value.message) == ("INVALID_REQUEST", "session not found")
    upstream.reply(text_reply("ok"))
    await client.call("agent", {"message": "hi", "idempotencyKey": "c-5"}, expectFinal=True)
    answer = await client.call("chat.inject", {"sessionKey": KEY, "message": "a note", "label": "ops"})
    assert answer["ok"] is True
    event = run_events(client, f"inject-{answer['messageId']}", "chat")
    assert [(e["seq"], e["state"], e["message"]["content"][0]["text"]) for e in event] == [(0, "final", "a note")]
    store = gateway.service.tree.agents.stores.store("main")
    last = (await store.transcript(KEY))[-1]
    assert last.id == answer["messageId"] and last.message["role"] == "assistant" and last.message["label"] == "ops"
    assert len(upstream.requests) == 1
