"""openai-responses against an upstream speaking the Responses SSE stream (event: + data: lines)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.agents.models import ProviderSettings
from openclaw.agents.providers.base import (
    Message,
    ModelRequest,
    ProviderError,
    Stop,
    TextDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
)
from openclaw.agents.providers.openai_responses import OpenAIResponsesProvider
from tests.agents.upstream import Events, Reply, cancel_after_first, closed_by_client, sse

KEY = "sk-proj-test-0123456789"


def ev(kind, **payload):
    return sse((kind, {"type": kind, **payload}))


RESPONSE = {"id": "resp_1", "object": "response", "status": "in_progress", "model": "gpt-5.4", "output": []}
MESSAGE_ITEM = {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}
CALL_ITEM = {"id": "fc_1", "type": "function_call", "status": "in_progress", "call_id": "call_77", "name": "exec", "arguments": ""}
USAGE = {"input_tokens": 50, "input_tokens_details": {"cached_tokens": 10}, "output_tokens": 9, "total_tokens": 59}

STREAM = [
    ev("response.created", sequence_number=0, response=RESPONSE),
    ev("response.in_progress", sequence_number=1, response=RESPONSE),
    ev("response.output_item.added", sequence_number=2, output_index=0, item=MESSAGE_ITEM),
    ev("response.content_part.added", sequence_number=3, item_id="msg_1", output_index=0, content_index=0,
       part={"type": "output_text", "text": ""}),
    ev("response.output_text.delta", sequence_number=4, item_id="msg_1", output_index=0, content_index=0, delta="Run"),
    ev("response.output_text.delta", sequence_number=5, item_id="msg_1", output_index=0, content_index=0, delta="ning."),
    ev("response.output_text.done", sequence_number=6, item_id="msg_1", output_index=0, content_index=0, text="Running."),
    ev("response.output_item.done", sequence_number=7, output_index=0, item={**MESSAGE_ITEM, "status": "completed"}),
    ev("response.output_item.added", sequence_number=8, output_index=1, item=CALL_ITEM),
    ev("response.function_call_arguments.delta", sequence_number=9, item_id="fc_1", output_index=1, delta='{"cmd":'),
    ev("response.function_call_arguments.delta", sequence_number=10, item_id="fc_1", output_index=1, delta=' "uptime"}'),
    ev("response.function_call_arguments.done", sequence_number=11, item_id="fc_1", output_index=1, arguments='{"cmd": "uptime"}'),
    ev("response.output_item.done", sequence_number=12, output_index=1,
       item={**CALL_ITEM, "status": "completed", "arguments": '{"cmd": "uptime"}'}),
]
COMPLETED = ev("response.completed", sequence_number=13, response={**RESPONSE, "status": "completed", "usage": USAGE})

REQUEST = ModelRequest(
    model="gpt-5.4",
    system="sys",
    messages=(
        Message("user", "uptime?"),
        Message("assistant", "checking", toolCalls=(ToolCall("call_1", "exec", {"cmd": "uptime"}),)),
        Message("toolResult", "up 3 days", toolCallId="call_1", toolName="exec"),
    ),
    tools=(Tool("exec", "Run a command", {"type": "object"}),),
    maxTokens=100,
)


def make(http, base) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(http, ProviderSettings(
        id="openai", api="openai-responses", baseUrl=f"{base}/v1", apiKey=KEY, idleTimeoutSeconds=30))


@pytest_twisted.ensureDeferred
async def test_text_function_call_and_usage(http, upstreams):
    upstream, base = upstreams()
    gate = Deferred()
    upstream.reply(Reply([*STREAM, gate, COMPLETED]))
    events = Events()
    toolEnded = events.next(ToolCallEnd)
    done = make(http, base).stream(REQUEST, events)
    assert (await toolEnded).call == ToolCall("call_77", "exec", {"cmd": "uptime"})
    assert not done.called
    gate.callback(None)
    completion = await done

    assert [e.text for e in events.of(TextDelta)] == ["Run", "ning."]
    assert events.of(ToolCallStart) == [ToolCallStart(1, "call_77", "exec")]
    assert [e.arguments for e in events.of(ToolCallDelta)] == ['{"cmd":', ' "uptime"}']
    assert events.items[-2:] == [Usage(input=40, output=9, cacheRead=10), Stop("toolUse")]
    assert completion.text == "Running."

    seen = upstream.requests[0]
    assert seen.path == "/v1/responses" and seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["instructions"] == "sys" and seen.body["max_output_tokens"] == 100
    assert seen.body["stream"] is True and seen.body["store"] is False
    assert seen.body["tools"] == [{"type": "function", "name": "exec", "description": "Run a command", "parameters": {"type": "object"}}]
    assert seen.body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "uptime?"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "checking"}]},
        {"type": "function_call", "call_id": "call_1", "name": "exec", "arguments": '{"cmd":"uptime"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "up 3 days"},
    ]


@pytest_twisted.ensureDeferred
async def test_incomplete_for_max_output_tokens_is_length(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([*STREAM[:6], ev("response.incomplete", sequence_number=6, response={
        **RESPONSE, "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "usage": USAGE})]))
    completion = await make(http, base).stream(REQUEST, Events())
    assert completion.stopReason == "length" and completion.text == "Running."


@pytest_twisted.ensureDeferred
async def test_failed_response_is_classified(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([*STREAM[:2], ev("response.failed", sequence_number=2, response={
        **RESPONSE, "status": "failed", "error": {"code": "rate_limit_exceeded", "message": "Too many"}})]))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "rate_limit" and "Too many" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_error_event_is_classified(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([ev("error", sequence_number=0, code="server_error", message="internal", param=None)]))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "transient" and "internal" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_abort_mid_stream_closes_the_upstream(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply(STREAM[:5], end="hang"))
    await cancel_after_first(TextDelta, lambda events: make(http, base).stream(REQUEST, events))
    assert await closed_by_client(upstream.requests[0], reactor)
