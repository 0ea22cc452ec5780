"""Per-session FIFO lanes, parallel sessions, queue modes, agent.wait and the dedupe cache."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import DONE, chunk, operator, terminal_chat, text_reply
from tests.agents.upstream import Reply, closed_by_client


def gated_reply(gate: Deferred, *words: str) -> Reply:
    """The first word, then the rest (and the end) once C{gate} fires."""
    first, *rest = words
    return Reply([
        chunk({"role": "assistant", "content": ""}), chunk({"content": first}), gate,
        *[chunk({"content": w}) for w in rest], chunk(finish="stop"), DONE,
    ])


def tool_call_reply(gate: Deferred) -> Reply:
    """A streamed tool call (name first, arguments in two pieces), finished once C{gate} fires."""
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "weather", "arguments": ""}}
    return Reply([
        chunk({"role": "assistant", "content": "Checking."}),
        chunk({"tool_calls": [call]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        gate,
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk(finish="tool_calls"), DONE,
    ])


def send(client, key: str, message: str, runId: str, **extra) -> Deferred:
    return client.call("chat.send", {"sessionKey": key, "message": message, "idempotencyKey": runId, **extra})


@pytest_twisted.ensureDeferred
async def test_sessions_run_in_parallel_while_a_sessions_second_message_queues(gateway, upstream):
    gateA, gateB = Deferred(), Deferred()
    upstream.reply(gated_reply(gateA, "one", " done"))
    upstream.reply(tool_call_reply(gateB))
    upstream.reply(text_reply("two"))
    client = await operator(gateway)
    await send(client, "a", "first", "a-1")
    await upstream.arrived(1)
    await send(client, "b", "weather in Oslo?", "b-1")
    await upstream.arrived(2)  # session b did not wait for session a
    await send(client, "a", "second", "a-2")
    assert await client.call("agent.wait", {"runId": "a-2"}) == {
        "runId": "a-2", "status": "pending", "timeoutPhase": "queue", "providerStarted": False}
    assert len(upstream.requests) == 2

    gateA.callback(None)
    assert (await terminal_chat(client, "a-1"))["payload"]["state"] == "final"
    third = await upstream.arrived(3)  # a-2 starts once a-1 has ended, with a-1 in its context
    assert [(m["role"], m["content"]) for m in third.body["messages"]] == [
        ("user", "first"), ("assistant", "one done"), ("user", "second")]
    assert (await client.call("agent.wait", {"runId": "a-2", "timeoutMs": 5000}))["status"] == "ok"

    gateB.callback(None)
    final = (await terminal_chat(client, "b-1"))["payload"]
    assert final["state"] == "final" and final["stopReason"] == "toolUse"
    store = gateway.service.tree.agents.stores.store("main")
    assistant = (await store.transcript("agent:main:b"))[-1].message
    assert assistant["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "toolCall", "id": "call_1", "name": "weather", "arguments": {"city": "Oslo"}},
    ]
    assert assistant["stopReason"] == "toolUse"


@pytest_twisted.ensureDeferred
async def test_interrupt_aborts_the_running_turn_and_runs_the_newest(gateway, upstream, reactor):
    upstream.reply(gated_reply(Deferred(), "slow"))
    upstream.reply(text_reply("fresh"))
    client = await operator(gateway)
    await send(client, "a", "first", "i-1")
    first = await upstream.arrived(1)
    await send(client, "a", "never mind", "i-2", queueMode="interrupt")
    aborted = (await terminal_chat(client, "i-1"))["payload"]
    assert aborted["state"] == "aborted" and aborted["stopReason"] == "interrupt"
    assert (await terminal_chat(client, "i-2"))["payload"]["state"] == "final"
    assert await closed_by_client(first, reactor)  # the interrupted request's connection is gone
    assert [m["content"] for m in upstream.requests[1].body["messages"]][-1] == "never mind"


@pytest_twisted.ensureDeferred
async def test_steer_and_collect_wait_their_turn_like_followup(gateway, upstream):
    gate = Deferred()
    upstream.reply(gated_reply(gate, "a", "b"), text_reply("c"), text_reply("d"))
    client = await operator(gateway)
    await send(client, "s", "one", "s-1")
    await upstream.arrived(1)
    await send(client, "s", "two", "s-2", queueMode="steer")
    await send(client, "s", "three", "s-3", queueMode="collect")
    gate.callback(None)
    for runId in ("s-1", "s-2", "s-3"):
        assert (await terminal_chat(client, runId))["payload"]["state"] == "final"
    assert [r.body["messages"][-1]["content"] for r in upstream.requests] == ["one", "two", "three"]


@pytest_twisted.ensureDeferred
async def test_wait_never_cancels_and_runs_are_deduplicated_by_idempotency_key(gateway, upstream, clock):
    gate = Deferred()
    upstream.reply(gated_reply(gate, "x", "y"))
    client = await operator(gateway)
    first = client.call("agent", {"message": "hi", "idempotencyKey": "w-1"}, expectFinal=True)
    await upstream.arrived(1)
    retry = client.call("agent", {"message": "hi", "idempotencyKey": "w-1"}, expectFinal=True)
    waiting = client.call("agent.wait", {"runId": "w-1", "timeoutMs": 2000})
    await client.call("health")  # answered after agent.wait was taken up (one connection, in order)
    clock.advance(2)
    assert await waiting == {"runId": "w-1", "status": "timeout"}
    assert await client.call("agent.wait", {"runId": "unknown", "timeoutMs": 10}) == {"runId": "unknown", "status": "timeout"}
    gate.callback(None)
    answers = [await first, await retry]
    assert [a["result"]["payloads"][0]["text"] for a in answers] == ["xy", "xy"]
    cached = await client.call("agent", {"message": "hi", "idempotencyKey": "w-1"}, expectFinal=True)
    assert cached == answers[0]
    waited = await client.call("agent.wait", {"runId": "w-1"})
    assert waited["status"] == "ok" and waited["terminalReply"] == {"disposition": "visible", "text": "xy"}
    assert len(upstream.requests) == 1
    accepted = [f for f in client.frames if f.get("type") == "res" and (f.get("payload") or {}).get("status") == "accepted"]
    assert len(accepted) == 2  # the first call and the retry while it ran; the cached answer is final at once

    clock.advance(301)  # past the dedupe window: the key starts a new run
    upstream.reply(text_reply("again"))
    again = await client.call("agent", {"message": "hi", "idempotencyKey": "w-1"}, expectFinal=True)
    assert again["result"]["payloads"][0]["text"] == "again" and len(upstream.requests) == 2
