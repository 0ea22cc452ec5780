"""openai-completions against an upstream speaking chat-completions SSE (data: lines, [DONE])."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.agents.models import ModelEntry, ProviderSettings
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
from openclaw.agents.providers.openai_completions import OpenAICompletionsProvider
from tests.agents.upstream import Events, Reply, closed_by_client, sse

KEY = "sk-local-0123456789"


def chunk(delta=None, finish=None, usage=None, choices=True):
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1765000000, "model": "qwen3-8b",
            "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []}
    if usage:
        body["usage"] = usage
    return (None, body)


TEXT_STREAM = [
    sse(chunk({"role": "assistant", "content": ""})),
    sse(chunk({"content": "Hel"})),
    sse(chunk({"content": "lo!"})),
    sse(chunk(finish="stop")),
    sse(chunk(choices=False, usage={"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23,
                                    "prompt_tokens_details": {"cached_tokens": 8}})),
    sse((None, "[DONE]")),
]


def make(http, base, **models) -> OpenAICompletionsProvider:
    return OpenAICompletionsProvider(http, ProviderSettings(
        id="local-vllm", api="openai-completions", baseUrl=f"{base}/v1", apiKey=KEY, idleTimeoutSeconds=30,
        models=tuple(ModelEntry(id=k, name=k, **v) for k, v in models.items())))


REQUEST = ModelRequest(
    model="qwen3-8b",
    system="You are terse.",
    messages=(
        Message("user", "weather?"),
        Message("assistant", "", toolCalls=(ToolCall("call_1", "weather", {"city": "Oslo"}),)),
        Message("toolResult", "-3C", toolCallId="call_1", toolName="weather"),
        Message("user", "and so?"),
    ),
    tools=(Tool("weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}}),),
    maxTokens=256,
    temperature=0.2,
)


@pytest_twisted.ensureDeferred
async def test_text_stream_and_request_shape(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply(TEXT_STREAM))
    events = Events()
    completion = await make(http, base, **{"qwen3-8b": {"maxTokensField": "max_completion_tokens"}}).stream(REQUEST, events)

    assert [e.text for e in events.of(TextDelta)] == ["Hel", "lo!"]
    assert events.items[-1] == Stop("stop")
    assert completion.text == "Hello!" and completion.stopReason == "stop"
    assert completion.usage == Usage(input=12, output=3, cacheRead=8)

    seen = upstream.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["stream"] is True and seen.body["stream_options"] == {"include_usage": True}
    assert seen.body["max_completion_tokens"] == 256 and "max_tokens" not in seen.body
    assert seen.body["temperature"] == 0.2
    assert seen.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
        {"role": "user", "content": "and so?"},
    ]
    assert seen.body["tools"][0] == {"type": "function", "function": {
        "name": "weather", "description": "Weather for a city", "parameters": REQUEST.tools[0].parameters}}


@pytest_twisted.ensureDeferred
async def test_streamed_tool_calls_are_parsed_before_the_stream_ends(http, upstreams):
    upstream, base = upstreams()
    gate = Deferred()
    upstream.reply(Reply([
        sse(chunk({"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "read", "arguments": ""}}]})),
        sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"pa'}}]})),
        sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "/etc/hosts"}'}}]})),
        sse(chunk({"tool_calls": [
            {"index": 1, "id": "call_b", "type": "function", "function": {"name": "exec", "arguments": '{"cmd":"ls"}'}}]})),
        sse(chunk(finish="tool_calls")),
        gate,
        sse((None, "[DONE]")),
    ]))
    events = Events()
    ended = events.next(Stop)
    done = make(http, base).stream(REQUEST, events)
    # both calls are complete while the upstream still holds the stream open
    while len(events.of(ToolCallEnd)) < 2:
        await events.next(ToolCallEnd)
    assert not done.called and not ended.called
    assert events.of(ToolCallStart) == [ToolCallStart(0, "call_a", "read"), ToolCallStart(1, "call_b", "exec")]
    assert [e.arguments for e in events.of(ToolCallDelta) if e.index == 0] == ['{"pa', 'th": "/etc/hosts"}']
    assert [e.call for e in events.of(ToolCallEnd)] == [
        ToolCall("call_a", "read", {"path": "/etc/hosts"}), ToolCall("call_b", "exec", {"cmd": "ls"})]
    gate.callback(None)
    completion = await done
    assert completion.stopReason == "toolUse" and len(completion.toolCalls) == 2


@pytest_twisted.ensureDeferred
async def test_error_inside_the_stream_is_classified_and_closes_the_stream(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([sse(chunk({"content": "x"})),
                          sse((None, {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}))],
                         end="hang"))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "rate_limit" and "Rate limit reached" in str(e.value)
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_body_that_ends_without_a_finish_is_transient(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply(TEXT_STREAM[:3]))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "transient" and "ended before" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_a_large_burst_is_parsed_whole_across_reads(http, upstreams):
    """Two megabytes of deltas in one write reach the client in many reads, split anywhere."""
    upstream, base = upstreams()
    words = [f"w{i} " for i in range(20_000)]
    burst = b"".join(sse(chunk({"content": w})) for w in words)
    assert len(burst) > 2_000_000
    upstream.reply(Reply([burst, *TEXT_STREAM[3:]]))
    events = Events()
    completion = await make(http, base).stream(REQUEST, events)
    assert completion.text == "".join(words)
    assert len(events.of(TextDelta)) == 20_000
