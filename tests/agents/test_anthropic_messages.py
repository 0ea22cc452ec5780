"""anthropic-messages against an upstream speaking the Messages SSE stream (named events)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.agents.models import ProviderSettings
from openclaw.agents.providers.anthropic_messages import AnthropicMessagesProvider
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
from tests.agents.upstream import Events, Reply, cancel_after_first, closed_by_client, sse

KEY = "sk-ant-test-0123456789"

START = sse(("message_start", {"type": "message_start", "message": {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-x", "content": [],
    "stop_reason": None, "stop_sequence": None,
    "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5}}}))
TEXT_BLOCK = [
    sse(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
    sse(("ping", {"type": "ping"})),
    sse(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me "}})),
    sse(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "look."}})),
    sse(("content_block_stop", {"type": "content_block_stop", "index": 0})),
]
TOOL_BLOCK = [
    sse(("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_01", "name": "read", "input": {}}})),
    sse(("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}})),
    sse(("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"path": "/tm'}})),
    sse(("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": 'p/a"}'}})),
    sse(("content_block_stop", {"type": "content_block_stop", "index": 1})),
]


def end(reason):
    return [
        sse(("message_delta", {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
                               "usage": {"output_tokens": 42}})),
        sse(("message_stop", {"type": "message_stop"})),
    ]


def make(http, base) -> AnthropicMessagesProvider:
    return AnthropicMessagesProvider(http, ProviderSettings(
        id="my-anthropic", api="anthropic-messages", baseUrl=f"{base}/anthropic", apiKey=KEY, idleTimeoutSeconds=30))


REQUEST = ModelRequest(
    model="claude-x",
    system="Be brief.",
    messages=(
        Message("user", "read a"),
        Message("assistant", "ok", toolCalls=(ToolCall("toolu_0", "read", {"path": "a"}), ToolCall("toolu_1", "read", {"path": "b"}))),
        Message("toolResult", "A", toolCallId="toolu_0", toolName="read"),
        Message("toolResult", "no such file", toolCallId="toolu_1", toolName="read", isError=True),
    ),
    tools=(Tool("read", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}),),
)


@pytest_twisted.ensureDeferred
async def test_text_and_tool_use_blocks_stream_incrementally(http, upstreams):
    upstream, base = upstreams()
    gate = Deferred()
    upstream.reply(Reply([START, *TEXT_BLOCK, *TOOL_BLOCK, gate, *end("tool_use")]))
    events = Events()
    toolEnded = events.next(ToolCallEnd)
    done = make(http, base).stream(REQUEST, events)
    call = await toolEnded
    assert not done.called  # parsed while the stream is still open
    assert call == ToolCallEnd(1, ToolCall("toolu_01", "read", {"path": "/tmp/a"}))
    gate.callback(None)
    completion = await done

    assert [e.text for e in events.of(TextDelta)] == ["Let me ", "look."]
    assert events.of(ToolCallStart) == [ToolCallStart(1, "toolu_01", "read")]
    assert [e.arguments for e in events.of(ToolCallDelta)] == ['{"path": "/tm', 'p/a"}']
    assert events.items[-2:] == [Usage(input=25, output=42, cacheRead=100, cacheWrite=5), Stop("toolUse")]
    assert completion.text == "Let me look." and completion.stopReason == "toolUse"

    seen = upstream.requests[0]
    assert seen.path == "/anthropic/v1/messages"
    assert seen.headers["x-api-key"] == KEY and seen.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in seen.headers
    assert seen.body["system"] == "Be brief." and seen.body["max_tokens"] == 4096 and seen.body["stream"] is True
    assert seen.body["tools"] == [{"name": "read", "description": "Read a file", "input_schema": REQUEST.tools[0].parameters}]
    assert seen.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "read a"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "ok"},
            {"type": "tool_use", "id": "toolu_0", "name": "read", "input": {"path": "a"}},
            {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"path": "b"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_0", "content": "A", "is_error": False},
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "no such file", "is_error": True}]},
    ]


@pytest_twisted.ensureDeferred
async def test_max_tokens_stop(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([START, *TEXT_BLOCK, *end("max_tokens")]))
    completion = await make(http, base).stream(REQUEST, Events())
    assert completion.stopReason == "length"


@pytest_twisted.ensureDeferred
async def test_overloaded_error_event_is_overload(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([START, sse(("error", {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}))], end="hang"))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "overload" and "Overloaded" in str(e.value)
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_stream_without_message_stop_is_transient(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([START, *TEXT_BLOCK]))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "transient" and "message_stop" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_abort_mid_stream_closes_the_upstream(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([START, *TEXT_BLOCK[:3]], end="hang"))
    await cancel_after_first(TextDelta, lambda events: make(http, base).stream(REQUEST, events))
    assert await closed_by_client(upstream.requests[0], reactor)
