"""ollama against an upstream speaking the native /api/chat NDJSON stream."""

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
    ToolCallEnd,
    ToolCallStart,
    Usage,
)
from openclaw.agents.providers.ollama import OllamaProvider
from tests.agents.upstream import Events, Reply, cancel_after_first, closed_by_client, ndjson


def line(content="", done=False, **extra):
    body = {"model": "qwen3:32b", "created_at": "2026-12-07T01:00:00.000Z",
            "message": {"role": "assistant", "content": content}, "done": done}
    body.update(extra)
    return ndjson(body)


DONE = line(done=True, done_reason="stop", total_duration=5_000_000, load_duration=1000,
            prompt_eval_count=30, prompt_eval_duration=100, eval_count=7, eval_duration=200)
TOOL_LINE = ndjson({"model": "qwen3:32b", "created_at": "2026-12-07T01:00:00.100Z", "done": False, "message": {
    "role": "assistant", "content": "",
    "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Bergen"}}},
                   {"function": {"name": "time", "arguments": {}}}]}})

REQUEST = ModelRequest(
    model="qwen3:32b",
    system="sys",
    messages=(
        Message("user", "weather?"),
        Message("assistant", "", toolCalls=(ToolCall("c0", "weather", {"city": "Oslo"}),)),
        Message("toolResult", "rain", toolCallId="c0", toolName="weather"),
    ),
    tools=(Tool("weather", "Weather", {"type": "object"}),),
    maxTokens=64,
    temperature=0.0,
)


def make(http, base) -> OllamaProvider:
    return OllamaProvider(http, ProviderSettings(
        id="ollama", api="ollama", baseUrl=base, apiKey="ollama-local", idleTimeoutSeconds=300))


@pytest_twisted.ensureDeferred
async def test_text_stream_usage_and_request_shape(http, upstreams):
    upstream, base = upstreams(b"application/x-ndjson")
    # one line split across writes, two lines in one write
    upstream.reply(Reply([line("It ")[:20], line("It ")[20:] + line("rains."), DONE]))
    events = Events()
    completion = await make(http, base).stream(REQUEST, events)
    assert [e.text for e in events.of(TextDelta)] == ["It ", "rains."]
    assert events.items[-2:] == [Usage(input=30, output=7), Stop("stop")]
    assert completion.text == "It rains."

    seen = upstream.requests[0]
    assert seen.path == "/api/chat"
    assert seen.headers["authorization"] == "Bearer ollama-local"
    assert seen.body == {
        "model": "qwen3:32b",
        "stream": True,
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Oslo"}}}]},
            {"role": "tool", "content": "rain", "tool_name": "weather"},
        ],
        "tools": [{"type": "function", "function": {"name": "weather", "description": "Weather", "parameters": {"type": "object"}}}],
        "options": {"num_predict": 64, "temperature": 0.0},
    }


@pytest_twisted.ensureDeferred
async def test_tool_calls_arrive_whole_and_are_reported_before_done(http, upstreams):
    upstream, base = upstreams(b"application/x-ndjson")
    gate = Deferred()
    upstream.reply(Reply([TOOL_LINE, gate, DONE]))
    events = Events()
    started = events.next(ToolCallStart)
    done = make(http, base).stream(REQUEST, events)
    await started
    while len(events.of(ToolCallEnd)) < 2:
        await events.next(ToolCallEnd)
    assert not done.called
    assert [e.call for e in events.of(ToolCallEnd)] == [
        ToolCall("call_0", "weather", {"city": "Bergen"}), ToolCall("call_1", "time", {})]
    gate.callback(None)
    completion = await done
    assert completion.stopReason == "toolUse"


@pytest_twisted.ensureDeferred
async def test_error_line_and_missing_done(http, upstreams):
    upstream, base = upstreams(b"application/x-ndjson")
    upstream.reply(Reply([line("x"), ndjson({"error": "model runner crashed"})]), Reply([line("x")]))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "transient" and "model runner crashed" in str(e.value)
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert "ended before done" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_model_not_found(http, upstreams):
    upstream, base = upstreams(b"application/json")
    upstream.reply(Reply([b'{"error":"model \\"nope\\" not found, try pulling it first"}'], status=404))
    with pytest.raises(ProviderError) as e:
        await make(http, base).stream(REQUEST, Events())
    assert e.value.kind == "not_found" and "try pulling it first" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_abort_mid_stream_closes_the_upstream(reactor, http, upstreams):
    upstream, base = upstreams(b"application/x-ndjson")
    upstream.reply(Reply([line("a")], end="hang"))
    await cancel_after_first(TextDelta, lambda events: make(http, base).stream(REQUEST, events))
    assert await closed_by_client(upstream.requests[0], reactor)
