"""
The embedding API (L{openclaw.agents.embed}): runs started in-process on a whole
gateway whose model is a scripted upstream, their events as an async iterator and
their result as a Deferred; and the example application in docs/examples, run as a
process of its own.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.agents.embed import AgentRuns, RunRefused
from tests.agents.runs.conftest import DONE, chunk, operator, run_config, run_events, text_reply
from tests.agents.runs.conftest import agent_defaults, clock, gateway  # noqa: F401 (fixtures)
from tests.agents.tools.test_tool_loop import openai_tool_call
from tests.agents.upstream import FAILSAFE_SECONDS, Reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import write_config
from tests.e2e.processes import PYTHON, REPO, spawn


async def collected(run) -> list:
    return [event async for event in run.events()]


@pytest_twisted.ensureDeferred
async def test_a_run_streams_its_events_as_they_arrive_and_ends_with_its_result(gateway, upstream):
    held: Deferred = Deferred()
    upstream.reply(Reply([
        chunk({"role": "assistant", "content": ""}), chunk({"content": "Red,"}), held, chunk({"content": " green."}),
        chunk(finish="stop"), chunk(usage={"prompt_tokens": 9, "completion_tokens": 2}), DONE,
    ]))
    watcher = await operator(gateway)
    run = AgentRuns(gateway.service).start("Name two colours.", sessionKey="colours")
    assert (run.agentId, run.sessionKey) == ("main", "agent:main:colours")
    assert run.runId.startswith("embed:")

    events = run.events()
    seen = []
    async for event in events:  # up to the first text, while the upstream still holds the rest back
        seen.append(event)
        if event.delta:
            break
    assert seen[-1].delta == "Red," and not held.called
    assert [e.payload["data"]["phase"] for e in seen if e.stream == "lifecycle"] == ["start", "model"]
    held.callback(None)
    seen += [event async for event in events]

    result = await run.result()
    assert result.ok and result.status == "ok" and result.text == "Red, green."
    assert (result.provider, result.model) == ("fakeup", "fake-model")
    assert result.usage["input"] == 9 and result.usage["output"] == 2
    assert "".join(e.delta for e in seen) == "Red, green."
    assert seen[-1].event == "chat" and seen[-1].payload["state"] == "final"
    # a client on the WebSocket saw the same run, event for event
    assert [e.payload for e in seen if e.event == "agent"] == run_events(watcher, run.runId)
    assert [e.payload for e in seen if e.event == "chat"] == run_events(watcher, run.runId, "chat")
    # every iteration starts at the first event
    assert [e.payload for e in await collected(run)] == [e.payload for e in seen]
    # the run is in the session's transcript like any other
    store = gateway.service.tree.agents.stores.store("main")
    user, assistant = [e.message for e in await store.transcript("agent:main:colours")]
    assert user["content"][0]["text"] == "Name two colours."
    assert assistant["content"] == [{"type": "text", "text": "Red, green."}]


@pytest_twisted.ensureDeferred
async def test_the_embedding_sees_the_tool_events_clients_without_the_cap_do_not(gateway, upstream):
    upstream.reply(openai_tool_call("call_1", "session_status", {}), text_reply("All fine."))
    bystander = await operator(gateway)
    run = AgentRuns(gateway.service).start("how is this session?")
    tool = [e for e in await collected(run) if e.stream == "tool"]
    assert [(e.payload["data"]["phase"], e.payload["data"]["name"]) for e in tool] == [
        ("start", "session_status"), ("result", "session_status")]
    assert tool[1].payload["data"]["isError"] is False
    assert (await run.result()).text == "All fine."
    assert [e for e in run_events(bystander, run.runId) if e["stream"] == "tool"] == []


@pytest_twisted.ensureDeferred
async def test_runs_that_cannot_start_are_refused_before_anything_runs(gateway, upstream):
    runs = AgentRuns(gateway.service)
    for kwargs, message in [
        ({"message": "  "}, "a run needs a message"),
        ({"message": "hi", "agentId": "nobody"}, 'unknown agent id "nobody"'),
        ({"message": "hi", "agentId": "main", "sessionKey": "agent:other:x"},
         'sessionKey "agent:other:x" belongs to agent "other", not "main"'),
        ({"message": "hi", "model": "nowhere/x"}, "invalid agent params: unknown model provider 'nowhere' (in nowhere/x)"),
    ]:
        with pytest.raises(RunRefused) as refused:
            runs.start(**kwargs)
        assert str(refused.value) == message
    assert upstream.requests == []


@pytest_twisted.ensureDeferred
async def test_a_failing_run_ends_with_an_error_result_not_a_failure(gateway, upstream):
    upstream.reply(Reply([b'{"error":{"message":"bad request body"}}'], status=400))
    run = AgentRuns(gateway.service).start("hi")
    events = await collected(run)
    result = await run.result()
    assert result.status == "error" and not result.ok and "bad request body" in result.error
    assert result.text == "" and result.usage is None
    assert events[-1].event == "chat" and events[-1].payload["state"] == "error"
    assert [e.payload["data"]["phase"] for e in events if e.stream == "lifecycle"][-1] == "error"


@pytest_twisted.ensureDeferred
async def test_abort_stops_a_streaming_run_and_keeps_the_partial_reply(gateway, upstream):
    held: Deferred = Deferred()
    upstream.reply(Reply([chunk({"content": "Half"}), held], end="hang"))
    run = AgentRuns(gateway.service).start("hi", sessionKey="stopped", model="fakeup/backup-model")
    async for event in run.events():
        if event.delta:
            break
    assert run.abort() is True
    result = await run.result()
    assert (result.status, result.stopReason, result.text) == ("timeout", "rpc", "Half")
    assert upstream.requests[0].body["model"] == "backup-model"
    assert run.abort() is False  # nothing left to stop


@pytest_twisted.ensureDeferred
async def test_the_same_run_id_attaches_to_the_run_in_flight(gateway, upstream):
    held: Deferred = Deferred()
    upstream.reply(Reply([chunk({"content": "Once"}), held, chunk(finish="stop"), DONE]))
    runs = AgentRuns(gateway.service)
    first = runs.start("hi", runId="embed-1")
    second = runs.start("hi again", runId="embed-1")
    held.callback(None)
    a, b = await first.result(), await second.result()
    assert a == b and a.text == "Once" and len(upstream.requests) == 1


@pytest_twisted.ensureDeferred
async def test_the_example_application_prints_the_streamed_reply(reactor, environ, upstream, tmp_path):
    upstream.reply(text_reply("Blue", " and", " yellow."))
    write_config(environ, run_config(upstream.base))
    script = str(REPO / "docs" / "examples" / "ask_agent.py")
    child = spawn(reactor, [PYTHON, script, "Name two colours.", "--session-key", "example"], dict(environ), tmp_path,
                  name="example app")
    try:
        code = await child.exited(FAILSAFE_SECONDS)
    finally:
        await child.kill()
    assert code == 0, child.describe()
    assert child.stdout == "Blue and yellow.\n"
    assert "in agent:main:example" in child.stderr and "[fakeup/fake-model, 13 tokens]" in child.stderr
    assert upstream.requests[0].body["messages"][-1] == {"role": "user", "content": "Name two colours."}
