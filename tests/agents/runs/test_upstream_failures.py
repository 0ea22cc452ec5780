"""What a run does when its upstream misbehaves: rate limits, a cut stream, silence; and the run timeout."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import chunk, operator, run_events, terminal_chat, text_reply
from tests.agents.upstream import Reply, closed_by_client

KEY = "agent:main:main"


@pytest.fixture
def agent_defaults() -> dict:
    return {"model": {"primary": "fakeup/fake-model", "fallbacks": ["fakeup/backup-model"]}, "timeoutSeconds": 600}


def rate_limited() -> Reply:
    return Reply([b'{"error":{"message":"slow down","type":"rate_limit_exceeded"}}'], status=429,
                 headers={"retry-after": "2"})


@pytest_twisted.ensureDeferred
async def test_rate_limits_are_retried_then_the_fallback_answers(gateway, upstream, clock):
    upstream.reply(rate_limited(), rate_limited(), rate_limited(), text_reply("from", " backup"))
    client = await operator(gateway)
    final = client.call("agent", {"message": "hi", "idempotencyKey": "f-1"}, expectFinal=True)
    for _ in range(2):  # two retries of the primary, after the upstream's retry-after
        await clock.retryDue()
    answer = await final
    assert answer["result"]["payloads"][0]["text"] == "from backup"
    assert answer["result"]["meta"]["agentMeta"]["model"] == "backup-model"
    assert [r.body["model"] for r in upstream.requests] == ["fake-model"] * 3 + ["backup-model"]
    store = gateway.service.tree.agents.stores.store("main")
    assert (await store.transcript(KEY))[-1].message["model"] == "backup-model"


@pytest_twisted.ensureDeferred
async def test_a_stream_cut_mid_way_fails_the_turn_without_a_retry(gateway, upstream):
    upstream.reply(Reply([chunk({"role": "assistant", "content": "Half a"}), chunk({"content": " sent"})], end="cut"))
    client = await operator(gateway)
    with pytest.raises(GatewayCallError) as failed:
        await client.call("agent", {"message": "hi", "idempotencyKey": "f-2"}, expectFinal=True)
    assert failed.value.code == "UNAVAILABLE" and "cut" in failed.value.message
    error = run_events(client, "f-2", "chat")[-1]
    assert error["state"] == "error" and error["message"]["content"][0]["text"] == "Half a sent"
    assert len(upstream.requests) == 1  # output had reached the caller: no retry, no fallback
    store = gateway.service.tree.agents.stores.store("main")
    assert [e.message["role"] for e in await store.transcript(KEY)] == ["user"]


@pytest_twisted.ensureDeferred
async def test_a_silent_upstream_hits_the_idle_timeout(gateway, upstream, clock, reactor):
    upstream.reply(Reply([Deferred()]), Reply([Deferred()]))  # headers, then nothing: primary and fallback
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "hello?", "idempotencyKey": "f-3"})
    await upstream.arrived(1)
    await client.call("health")  # the request's idle timer is set by now
    clock.advance(120)
    await upstream.arrived(2)
    await client.call("health")
    clock.advance(120)
    error = (await terminal_chat(client, "f-3"))["payload"]
    assert error["state"] == "error" and error["errorKind"] == "timeout"
    assert error["errorDetail"]["failoverReason"] == "timeout"
    for request in upstream.requests:
        assert await closed_by_client(request, reactor)


@pytest_twisted.ensureDeferred
async def test_the_run_timeout_ends_a_run_with_status_timeout(gateway, upstream, clock, reactor):
    upstream.reply(Reply([chunk({"role": "assistant", "content": "thinking"}), Deferred()]))
    client = await operator(gateway)
    final = client.call("agent", {"message": "hi", "idempotencyKey": "f-4", "timeout": 30}, expectFinal=True)
    await upstream.arrived(1)
    await client.call("health")
    clock.advance(30)
    answer = await final
    assert answer == {"runId": "f-4", "status": "timeout", "summary": "aborted", "providerStarted": True,
                      "stopReason": "timeout"}
    error = run_events(client, "f-4", "chat")[-1]
    assert error["state"] == "error" and error["errorKind"] == "timeout"
    assert run_events(client, "f-4")[-1]["data"]["phase"] == "error"
    assert await closed_by_client(upstream.requests[0], reactor)
