"""
Images in user messages and C{toolChoice}, as each provider puts them on the wire
(the fake upstream records the request body).
"""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.agents.providers.base import Image, Message, ModelRequest, Tool, ToolChoice
from openclaw.agents.providers.openai_completions import content
from tests.agents import test_anthropic_messages as anthropic
from tests.agents import test_ollama as ollama
from tests.agents import test_openai_completions as completions
from tests.agents import test_openai_responses as responses
from tests.agents.upstream import Events, Reply

PNG = Image("image/png", "iVBORw0KGgo=")
JPEG = Image("image/jpeg", "/9j/4AAQ")
WEATHER = Tool("weather", "Weather", {"type": "object"})
TIME = Tool("time", "The time", {"type": "object"})


def request(model: str, choice: ToolChoice | None = None) -> ModelRequest:
    return ModelRequest(
        model=model,
        messages=(Message("user", "what is this?", images=(PNG, JPEG)),),
        tools=(WEATHER, TIME),
        toolChoice=choice,
    )


async def sent(make, stream, model: str, choice: ToolChoice | None, http, upstreams, contentType=b"text/event-stream"):
    """The body the provider made of L{request}(C{model}, C{choice})."""
    upstream, base = upstreams(contentType)
    upstream.reply(Reply(stream))
    await make(http, base).stream(request(model, choice), Events())
    return upstream.requests[0].body


async def completions_body(choice, http, upstreams):
    return await sent(completions.make, completions.TEXT_STREAM, "qwen3-8b", choice, http, upstreams)


async def responses_body(choice, http, upstreams):
    return await sent(responses.make, [*responses.STREAM, responses.COMPLETED], "gpt-5.4", choice, http, upstreams)


async def anthropic_body(choice, http, upstreams):
    stream = [anthropic.START, *anthropic.TEXT_BLOCK, *anthropic.end("end_turn")]
    return await sent(anthropic.make, stream, "claude-x", choice, http, upstreams)


async def ollama_body(choice, http, upstreams):
    stream = [ollama.line("It is a cat."), ollama.DONE]
    return await sent(ollama.make, stream, "qwen3:32b", choice, http, upstreams, b"application/x-ndjson")


# images ---------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_openai_completions_sends_images_as_data_url_parts(http, upstreams):
    body = await completions_body(None, http, upstreams)
    assert body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
    ]}]
    assert "tool_choice" not in body


@pytest_twisted.ensureDeferred
async def test_openai_responses_sends_images_as_input_image_items(http, upstreams):
    body = await responses_body(None, http, upstreams)
    assert body["input"] == [{"role": "user", "content": [
        {"type": "input_text", "text": "what is this?"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
        {"type": "input_image", "image_url": "data:image/jpeg;base64,/9j/4AAQ"},
    ]}]
    assert "tool_choice" not in body


@pytest_twisted.ensureDeferred
async def test_anthropic_sends_images_as_base64_blocks(http, upstreams):
    body = await anthropic_body(None, http, upstreams)
    assert body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
    ]}]
    assert "tool_choice" not in body


@pytest_twisted.ensureDeferred
async def test_ollama_sends_images_on_the_message(http, upstreams):
    body = await ollama_body(None, http, upstreams)
    assert body["messages"] == [{"role": "user", "content": "what is this?", "images": ["iVBORw0KGgo=", "/9j/4AAQ"]}]
    assert [t["function"]["name"] for t in body["tools"]] == ["weather", "time"]


def test_a_message_without_images_keeps_plain_string_content():
    assert content(Message("user", "hi")) == "hi"
    assert content(Message("user", "", images=(PNG,))) == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]


# tool_choice ----------------------------------------------------------------------

CHOICES = [ToolChoice("auto"), ToolChoice("none"), ToolChoice("required"), ToolChoice("function", "time")]


@pytest.mark.parametrize("choice, wire", list(zip(CHOICES, [
    "auto", "none", "required", {"type": "function", "function": {"name": "time"}}])))
@pytest_twisted.ensureDeferred
async def test_openai_completions_sends_tool_choice(choice, wire, http, upstreams):
    body = await completions_body(choice, http, upstreams)
    assert body["tool_choice"] == wire
    assert len(body["tools"]) == 2


@pytest.mark.parametrize("choice, wire", list(zip(CHOICES, [
    "auto", "none", "required", {"type": "function", "name": "time"}])))
@pytest_twisted.ensureDeferred
async def test_openai_responses_sends_tool_choice(choice, wire, http, upstreams):
    body = await responses_body(choice, http, upstreams)
    assert body["tool_choice"] == wire
    assert len(body["tools"]) == 2


@pytest.mark.parametrize("choice, wire", list(zip(CHOICES, [
    {"type": "auto"}, None, {"type": "any"}, {"type": "tool", "name": "time"}])))
@pytest_twisted.ensureDeferred
async def test_anthropic_sends_tool_choice_and_no_tools_for_none(choice, wire, http, upstreams):
    body = await anthropic_body(choice, http, upstreams)
    if wire is None:
        assert "tools" not in body and "tool_choice" not in body
    else:
        assert body["tool_choice"] == wire
        assert [t["name"] for t in body["tools"]] == ["weather", "time"]


@pytest.mark.parametrize("choice, offered", list(zip(CHOICES, [["weather", "time"], None, ["weather", "time"], ["time"]])))
@pytest_twisted.ensureDeferred
async def test_ollama_offers_only_the_tools_the_choice_allows(choice, offered, http, upstreams):
    body = await ollama_body(choice, http, upstreams)
    assert "tool_choice" not in body
    assert ([t["function"]["name"] for t in body["tools"]] if "tools" in body else None) == offered
