"""The runtime around runs: clients that leave or read slowly, draining, hot reload, health counts."""

from __future__ import annotations

import dataclasses
import os

import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.agents.models import ModelsSettings
from openclaw.config.secrets import SecretsSnapshot
from tests.agents.runs.conftest import operator, terminal_chat, text_reply
from tests.agents.runs.test_lanes import gated_reply
from tests.agents.upstream import FakeUpstream, base_url, serve

KEY = "agent:main:main"


@pytest_twisted.ensureDeferred
async def test_a_client_that_leaves_does_not_take_its_run_along(gateway, upstream):
    gate = Deferred()
    upstream.reply(gated_reply(gate, "still", " here"))
    starter = await operator(gateway)
    starter.call("agent", {"message": "hi", "idempotencyKey": "d-1"}, expectFinal=True).addErrback(lambda _: None)
    await upstream.arrived(1)
    await starter.close()
    gate.callback(None)
    other = await operator(gateway)
    waited = await other.call("agent.wait", {"runId": "d-1", "timeoutMs": 5000})
    assert waited["status"] == "ok" and waited["terminalReply"]["text"] == "still here"
    store = gateway.service.tree.agents.stores.store("main")
    assert (await store.transcript(KEY))[-1].message["content"] == [{"type": "text", "text": "still here"}]


@pytest_twisted.ensureDeferred
async def test_a_client_that_does_not_read_holds_nobody_up(gateway, upstream):
    words = [f" w{i}" for i in range(200)]
    upstream.reply(text_reply(*words))
    slow = await operator(gateway)
    slow._proto.transport.pauseProducing()  # this client stops reading its socket
    fast = await operator(gateway)
    await fast.call("chat.send", {"sessionKey": KEY, "message": "long one", "idempotencyKey": "s-1"})
    final = (await terminal_chat(fast, "s-1"))["payload"]
    assert final["message"]["content"][0]["text"] == "".join(words)
    slow._proto.transport.resumeProducing()
    assert (await terminal_chat(slow, "s-1"))["payload"]["state"] == "final"


@pytest_twisted.ensureDeferred
async def test_a_draining_gateway_refuses_new_runs(gateway, upstream):
    gate = Deferred()
    upstream.reply(gated_reply(gate, "last", " one"))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "running", "idempotencyKey": "g-1"})
    await upstream.arrived(1)
    await client.call("chat.send", {"sessionKey": KEY, "message": "queued", "idempotencyKey": "g-2"})
    gateway.service.hub.accepting = False  # what a stopping gateway does before it drains
    refused = await client.call("agent", {"message": "new", "idempotencyKey": "g-3"}, expectFinal=True)
    assert refused == {"runId": "g-3", "status": "timeout", "summary": "aborted", "providerStarted": False,
                       "stopReason": "gateway_draining", "timeoutPhase": "gateway_draining"}
    gate.callback(None)
    assert (await terminal_chat(client, "g-1"))["payload"]["state"] == "final"  # the running one finishes
    queued = await client.call("agent.wait", {"runId": "g-2"})
    assert queued["status"] == "timeout" and queued["timeoutPhase"] == "gateway_draining"
    assert len(upstream.requests) == 1
    gateway.service.hub.accepting = True


@pytest_twisted.ensureDeferred
async def test_reloaded_models_and_agents_apply_to_new_runs_only(gateway, upstream, reactor):
    second = FakeUpstream(b"text/event-stream")
    port = serve(reactor, second)
    try:
        gate = Deferred()
        upstream.reply(gated_reply(gate, "old", " provider"))
        second.reply(text_reply("new provider"))
        client = await operator(gateway)
        await client.call("chat.send", {"sessionKey": "a", "message": "before", "idempotencyKey": "h-1"})
        await upstream.arrived(1)

        tree = gateway.service.tree
        old = tree.settings
        config = {"models": {"providers": {"fakeup": {
            "baseUrl": f"{base_url(port)}/v1", "api": "openai-completions", "apiKey": "sk-other-0123456789",
            "models": [{"id": "fake-model"}, {"id": "backup-model"}]}}}}
        models = ModelsSettings.fromConfig(config, SecretsSnapshot(), {})
        defaults = dataclasses.replace(old.agents.defaults, model=models.default.__class__("fakeup/backup-model"))
        new = dataclasses.replace(old, models=models, agents=dataclasses.replace(old.agents, defaults=defaults))
        assert tree.applySettings(new, frozenset({"models", "agents"}))

        await client.call("chat.send", {"sessionKey": "b", "message": "after", "idempotencyKey": "h-2"})
        assert (await terminal_chat(client, "h-2"))["payload"]["message"]["content"][0]["text"] == "new provider"
        assert second.requests[0].body["model"] == "backup-model"
        gate.callback(None)  # the run in flight finishes on the provider it started with
        final = (await terminal_chat(client, "h-1"))["payload"]
        assert final["state"] == "final" and final["message"]["content"][0]["text"] == "old provider"
        assert len(upstream.requests) == 1
    finally:
        await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_a_secrets_reload_gives_new_runs_the_new_provider_key(gateway, upstream):
    upstream.reply(text_reply("one"), text_reply("two"))
    client = await operator(gateway)
    await client.call("agent", {"message": "hi", "idempotencyKey": "s-1"}, expectFinal=True)
    tree = gateway.service.tree
    old = tree.settings
    config = {"models": {"providers": {"fakeup": {
        "baseUrl": f"{upstream.base}/v1", "api": "openai-completions", "apiKey": "sk-rotated-0123456789",
        "models": [{"id": "fake-model"}]}}}}
    new = dataclasses.replace(old, models=ModelsSettings.fromConfig(config, SecretsSnapshot(), {}))
    assert tree.applySettings(new, frozenset({"secrets", "auth"}))  # what a secrets reload hands the tree
    await client.call("agent", {"message": "again", "idempotencyKey": "s-2"}, expectFinal=True)
    assert [r.headers["authorization"] for r in upstream.requests] == [
        "Bearer sk-test-0123456789", "Bearer sk-rotated-0123456789"]


@pytest_twisted.ensureDeferred
async def test_health_and_status_count_the_stored_sessions(gateway, upstream):
    upstream.reply(text_reply("a"), text_reply("b"))
    client = await operator(gateway)
    before = await client.call("health", {"probe": True})
    assert before["sessions"]["count"] == 0
    assert not os.path.exists(before["sessions"]["path"])  # no store file until a session exists
    for key, runId in (("main", "n-1"), ("other", "n-2")):
        await client.call("agent", {"message": "hi", "sessionKey": key, "idempotencyKey": runId}, expectFinal=True)
    health = await client.call("health", {"probe": True})
    assert health["sessions"]["count"] == 2
    assert {r["key"] for r in health["sessions"]["recent"]} == {KEY, "agent:main:other"}
    assert health["sessions"]["path"].endswith("agents/main/agent/openclaw-agent.sqlite")
    status = await client.call("status")
    assert status["sessions"]["count"] == 2 and status["sessions"]["byAgent"][0]["count"] == 2
    assert {r["key"] for r in status["sessions"]["recent"]} == {KEY, "agent:main:other"}
    assert status["sessions"]["defaults"]["model"] == "fakeup/fake-model"


@pytest_twisted.ensureDeferred
async def test_stopping_the_runtime_stops_and_records_its_runs(gateway, upstream):
    upstream.reply(gated_reply(Deferred(), "cut", " short"))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "running", "idempotencyKey": "t-1"})
    await upstream.arrived(1)
    await client.call("chat.send", {"sessionKey": KEY, "message": "queued", "idempotencyKey": "t-2"})
    runs = gateway.service.tree.agents.runs
    await runs.stopAll("shutdown")  # what the runtime does first when it stops
    assert [runs.get(r).outcome.stopReason for r in ("t-1", "t-2")] == ["shutdown", "shutdown"]
    assert runs.get("t-2").outcome.timeoutPhase == "queue"
    store = gateway.service.tree.agents.stores.store("main")
    assert [e.message["content"][0]["text"] for e in await store.transcript(KEY)] == ["running", "cut"]
    assert (await store.get(KEY)).status == "killed"
