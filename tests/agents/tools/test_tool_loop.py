"""
The tool loop through a whole gateway: upstreams streaming tool calls in the
OpenAI and Anthropic wire formats, tool events to the run's recipients only,
toolResult messages in the transcript, the step bound, and a denied tool.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import RetryClock, openai_tool_call, operator, run_config, run_events, text_reply
from tests.agents.upstream import Reply, sse
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import serving, start_gateway


def anthropic_reply(*blocks: tuple[str, Any], stop: str) -> Reply:
    body = [sse(("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x", "content": [],
        "stop_reason": None, "usage": {"input_tokens": 9, "output_tokens": 1}}}))]
    for index, (kind, value) in enumerate(blocks):
        if kind == "text":
            body += [sse(("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": {"type": "text", "text": ""}})),
                     sse(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                  "delta": {"type": "text_delta", "text": value}}))]
        else:
            callId, name, args = value
            raw = json.dumps(args)
            body += [sse(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": callId, "name": name, "input": {}}}))]
            body += [sse(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                  "delta": {"type": "input_json_delta", "partial_json": part}}))
                     for part in (raw[:4], raw[4:])]
        body.append(sse(("content_block_stop", {"type": "content_block_stop", "index": index})))
    body += [sse(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 5}})),
             sse(("message_stop", {"type": "message_stop"}))]
    return Reply(body)


@pytest.fixture
def tools_config() -> dict:
    """Override in a test with C{@pytest.mark.parametrize} for other C{tools} settings."""
    return {}


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, tools_config):
    config = run_config(upstream.base)
    config["models"]["providers"]["fakeant"] = {
        "baseUrl": f"{upstream.base}/anthropic", "api": "anthropic-messages", "apiKey": "sk-ant-test-0123456789",
        "models": [{"id": "claude-x"}],
    }
    config["tools"] = tools_config
    service = start_gateway(reactor, environ, config, clock=RetryClock(reactor))
    async with serving(service, reactor) as running:
        yield running


def workspace_of(gateway) -> str:
    return gateway.service.tree.agents.toolContext("main", "agent:main:main").workspace


async def transcript(gateway) -> list[dict]:
    store = gateway.service.tree.agents.stores.store("main")
    return [e.message for e in await store.transcript("agent:main:main")]


@pytest_twisted.ensureDeferred
async def test_a_multi_step_loop_over_openai_streamed_tool_calls(gateway, upstream):
    upstream.reply(
        openai_tool_call("call_1", "write", {"path": "hello.txt", "content": "hi there"}),
        openai_tool_call("call_2", "read", {"path": "hello.txt"}),
        text_reply("It ", "says hi."),
    )
    watcher = await operator(gateway, caps=["tool-events"])
    bystander = await operator(gateway)
    final = await watcher.call("agent", {"message": "write and read", "idempotencyKey": "t-1"}, expectFinal=True)
    assert final["status"] == "ok" and final["result"]["payloads"][0]["text"] == "It says hi."

    with open(f"{workspace_of(gateway)}/hello.txt") as f:
        assert f.read() == "hi there"
    first, second, third = (r.body for r in upstream.requests)
    assert {t["function"]["name"] for t in first["tools"]} >= {"read", "write", "edit", "exec", "web_fetch"}
    assert first["messages"][0]["role"] == "system" and "## AGENTS.md" in first["messages"][0]["content"]
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_1", "content": "wrote 8 bytes"}
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "write"
    assert third["messages"][-1] == {"role": "tool", "tool_call_id": "call_2", "content": "hi there"}

    tool = [e for e in run_events(watcher, "t-1") if e["stream"] == "tool"]
    assert [(e["data"]["phase"], e["data"]["name"]) for e in tool] == [
        ("start", "write"), ("result", "write"), ("start", "read"), ("result", "read")]
    assert tool[0]["data"]["args"] == {"path": "hello.txt", "content": "hi there"}
    assert tool[3]["data"]["isError"] is False
    assert tool[3]["data"]["result"]["content"] == [{"type": "text", "text": "hi there"}]
    seqs = [e["seq"] for e in run_events(watcher, "t-1")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert not [e for e in run_events(bystander, "t-1") if e["stream"] == "tool"]  # never broadcast

    messages = await transcript(gateway)
    assert [m["role"] for m in messages] == ["user", "assistant", "toolResult", "assistant", "toolResult", "assistant"]
    assert messages[1]["content"] == [{"type": "toolCall", "id": "call_1", "name": "write",
                                       "arguments": {"path": "hello.txt", "content": "hi there"}}]
    assert (messages[2]["toolCallId"], messages[2]["toolName"], messages[2]["isError"]) == ("call_1", "write", False)
    assert messages[4]["content"] == [{"type": "text", "text": "hi there"}]


@pytest_twisted.ensureDeferred
async def test_a_loop_over_anthropic_streamed_tool_use(gateway, upstream):
    upstream.reply(
        anthropic_reply(("text", "Checking."), ("tool", ("toolu_1", "exec", {"command": "echo from-the-shell"})),
                        stop="tool_use"),
        anthropic_reply(("text", "The shell said hello."), stop="end_turn"),
    )
    client = await operator(gateway, caps=["tool-events"])
    final = await client.call("agent", {"message": "run it", "idempotencyKey": "t-2", "model": "fakeant/claude-x"},
                              expectFinal=True)
    assert final["status"] == "ok"
    second = upstream.requests[1].body
    assert "## SOUL.md" in second["system"] if isinstance(second["system"], str) else second["system"]
    assert second["messages"][-2]["content"][-1] == {"type": "tool_use", "id": "toolu_1", "name": "exec",
                                                     "input": {"command": "echo from-the-shell"}}
    result = second["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_1"
    assert "from-the-shell" in json.dumps(result["content"])
    messages = await transcript(gateway)
    assert [m["role"] for m in messages] == ["user", "assistant", "toolResult", "assistant"]
    assert messages[2]["details"]["exitCode"] == 0


@pytest.mark.parametrize("tools_config", [{"maxSteps": 2}])
@pytest_twisted.ensureDeferred
async def test_the_step_bound_ends_a_model_that_keeps_calling_tools(gateway, upstream):
    upstream.reply(*(openai_tool_call(f"call_{i}", "session_status", {}) for i in range(2)))
    client = await operator(gateway, caps=["tool-events"])
    with pytest.raises(GatewayCallError, match="stopped after 2 steps"):
        await client.call("agent", {"message": "loop", "idempotencyKey": "t-3"}, expectFinal=True)
    assert len(upstream.requests) == 2
    assert (await client.call("agent.wait", {"runId": "t-3"}))["status"] == "error"
    tool = [e["data"]["phase"] for e in run_events(client, "t-3") if e["stream"] == "tool"]
    assert tool == ["start", "result"]  # the first step's call ran; the second step's did not
    assert run_events(client, "t-3", "chat")[-1]["state"] == "error"
    messages = await transcript(gateway)
    assert [m["role"] for m in messages] == ["user", "assistant", "toolResult", "assistant"]


@pytest.mark.parametrize("tools_config", [{"deny": ["exec"]}])
@pytest_twisted.ensureDeferred
async def test_a_denied_tool_is_not_offered_and_its_call_answers_as_an_error(gateway, upstream):
    upstream.reply(openai_tool_call("call_x", "exec", {"command": "touch pwned"}), text_reply("Sorry."))
    client = await operator(gateway, caps=["tool-events"])
    final = await client.call("agent", {"message": "try", "idempotencyKey": "t-4"}, expectFinal=True)
    assert final["status"] == "ok"
    first, second = (r.body for r in upstream.requests)
    assert "exec" not in {t["function"]["name"] for t in first["tools"]}
    assert second["messages"][-1]["content"] == "Tool not available: exec"
    result = [e["data"] for e in run_events(client, "t-4") if e["stream"] == "tool"][-1]
    assert result["isError"] is True
    assert not os.path.exists(f"{workspace_of(gateway)}/pwned")
