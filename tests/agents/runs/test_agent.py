"""`agent`: two `res` frames on one request id, the run's events between them, the transcript after."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import MODEL, operator, run_events, text_reply
from tests.agents.upstream import Reply


def responses(client, method: str) -> list[dict]:
    ids = {i for i, m in client.methods.items() if m == method}
    return [f for f in client.frames if f.get("type") == "res" and f["id"] in ids]


@pytest_twisted.ensureDeferred
async def test_agent_is_answered_twice_with_the_run_streamed_between(gateway, upstream):
    upstream.reply(text_reply("Hello", " there", "!"))
    client = await operator(gateway)
    final = await client.call("agent", {"message": "hi", "agentId": "main", "deliver": False, "timeout": 600,
                                        "idempotencyKey": "k-1"}, expectFinal=True)
    first, last = responses(client, "agent")
    assert first["id"] == last["id"]
    accepted = first["payload"]
    assert accepted == {"runId": "k-1", "sessionKey": "agent:main:main", "agentId": "main", "status": "accepted",
                        "acceptedAt": accepted["acceptedAt"]}
    assert final["runId"] == "k-1" and final["status"] == "ok" and final["summary"] == "completed"
    assert final["result"]["payloads"] == [{"text": "Hello there!", "mediaUrl": None}]
    meta = final["result"]["meta"]["agentMeta"]
    assert (meta["provider"], meta["model"]) == ("fakeup", "fake-model")
    assert meta["usage"]["input"] == 10 and meta["usage"]["output"] == 3

    agent = run_events(client, "k-1")
    assert [e["seq"] for e in agent] == list(range(1, len(agent) + 1))
    phases = [(e["stream"], e["data"].get("phase")) for e in agent]
    assert phases[:2] == [("lifecycle", "start"), ("lifecycle", "model")]
    assert phases[-3:] == [("usage", None), ("lifecycle", "finishing"), ("lifecycle", "end")]
    assert [e["data"]["delta"] for e in agent if e["stream"] == "assistant"] == ["Hello", " there", "!"]
    assert agent[1]["data"] == {"phase": "model", "provider": "fakeup", "model": "fake-model"}
    assert agent[-1]["data"]["stopReason"] == "stop" and agent[-1]["data"]["aborted"] is False

    chat = run_events(client, "k-1", "chat")
    deltas = [c for c in chat if c["state"] == "delta"]
    assert "".join(d["deltaText"] for d in deltas) == "Hello there!"
    assert deltas[-1]["message"]["content"] == [{"type": "text", "text": "Hello there!"}]
    assert chat[-1]["state"] == "final" and chat[-1]["seq"] == deltas[-1]["seq"]
    assert chat[-1]["message"]["content"][0]["text"] == "Hello there!"
    # the final answer comes after every event of the run
    assert client.frames.index(last) > max(client.frames.index(f) for f in client.events if f["event"] in ("agent", "chat"))

    store = gateway.service.tree.agents.stores.store("main")
    user, assistant = [e.message for e in await store.transcript("agent:main:main")]
    assert user["role"] == "user" and user["content"] == [{"type": "text", "text": "hi"}]
    assert assistant["content"] == [{"type": "text", "text": "Hello there!"}]
    assert (assistant["provider"], assistant["model"], assistant["stopReason"]) == ("fakeup", "fake-model", "stop")
    assert assistant["usage"]["input"] == 10
    row = await store.get("agent:main:main")  # recorded before the final answer went out
    assert (row.status, row.lastRunId, row.model, row.inputTokens, row.outputTokens) == ("done", "k-1", "fake-model", 10, 3)
    # the model saw the user message
    assert upstream.requests[0].body["messages"][-1] == {"role": "user", "content": "hi"}
    assert upstream.requests[0].body["model"] == "fake-model"


@pytest_twisted.ensureDeferred
async def test_invalid_requests_fail_in_the_first_frame(gateway, upstream):
    client = await operator(gateway)
    with pytest.raises(GatewayCallError) as missing:
        await client.call("agent", {"message": "hi"}, expectFinal=True)
    assert missing.value.code == "INVALID_REQUEST" and "idempotencyKey" in missing.value.message
    with pytest.raises(GatewayCallError) as unknown:
        await client.call("agent", {"message": "hi", "agentId": "nobody", "idempotencyKey": "k-2"}, expectFinal=True)
    assert unknown.value.code == "INVALID_REQUEST" and unknown.value.message == 'unknown agent id "nobody"'
    assert unknown.value.details == {"code": "UNKNOWN_AGENT_ID", "agentId": "nobody"}
    with pytest.raises(GatewayCallError) as model:
        await client.call("agent", {"message": "hi", "model": "nowhere/x", "idempotencyKey": "k-2"}, expectFinal=True)
    assert model.value.message == "invalid agent params: unknown model provider 'nowhere' (in nowhere/x)"
    assert len(responses(client, "agent")) == 3 and upstream.requests == []


@pytest_twisted.ensureDeferred
async def test_a_failing_upstream_ends_the_run_with_an_unavailable_final_answer(gateway, upstream, clock):
    upstream.reply(*[Reply([b'{"error":{"message":"boom"}}'], status=500) for _ in range(3)])
    client = await operator(gateway)
    final = client.call("agent", {"message": "hi", "idempotencyKey": "k-3"}, expectFinal=True)
    for _ in range(2):  # the same-model retries wait on the gateway's clock
        await clock.retryDue()
    with pytest.raises(GatewayCallError) as failed:
        await final
    _, last = responses(client, "agent")
    text = failed.value.message
    assert last["ok"] is False and last["error"] == {"code": "UNAVAILABLE", "message": text}
    assert last["payload"] == {"runId": "k-3", "status": "error", "summary": text}
    assert "HTTP 500" in text and "boom" in text and "sk-test" not in text

    agent = run_events(client, "k-3")
    assert agent[-1]["data"]["phase"] == "error" and agent[-1]["data"]["error"] == text
    error = run_events(client, "k-3", "chat")[-1]
    assert error["state"] == "error" and error["errorMessage"] == text and error["seq"] == agent[-1]["seq"]
    assert error["errorDetail"]["httpStatus"] == 500 and error["errorDetail"]["provider"] == "fakeup"
    # the failed turn leaves the user message, which the next turn's request carries
    store = gateway.service.tree.agents.stores.store("main")
    assert [e.message["role"] for e in await store.transcript("agent:main:main")] == ["user"]
    assert (await store.get("agent:main:main")).status == "failed"
    upstream.reply(text_reply("ok"))
    await client.call("agent", {"message": "again", "idempotencyKey": "k-4"}, expectFinal=True)
    assert [m["content"] for m in upstream.requests[-1].body["messages"]] == ["hi", "again"]
    assert MODEL.endswith(upstream.requests[-1].body["model"])


@pytest_twisted.ensureDeferred
async def test_a_run_may_name_its_model_and_session(gateway, upstream):
    upstream.reply(text_reply("backup here"))
    client = await operator(gateway)
    final = await client.call("agent", {"message": "hi", "provider": "fakeup", "model": "backup-model",
                                        "sessionKey": "side", "idempotencyKey": "k-5"}, expectFinal=True)
    assert final["result"]["meta"]["agentMeta"]["model"] == "backup-model"
    assert upstream.requests[0].body["model"] == "backup-model"
    accepted = responses(client, "agent")[0]["payload"]
    assert accepted["sessionKey"] == "agent:main:side"
    with pytest.raises(GatewayCallError) as foreign:
        await client.call("agent", {"message": "hi", "agentId": "main", "sessionKey": "agent:ops:x",
                                    "idempotencyKey": "k-6"}, expectFinal=True)
    assert foreign.value.message == 'sessionKey "agent:ops:x" belongs to agent "ops", not "main"'
