"""POST /v1/chat/completions with the official openai SDK against a real gateway."""

from __future__ import annotations

import json

import openai
import pytest
import pytest_twisted

from tests.agents.runs.conftest import DONE, chunk, openai_tool_call, text_reply
from tests.agents.upstream import Reply
from tests.http.conftest import in_thread, sdk

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}}


def tool_call_reply(callId: str, name: str, arguments: str) -> Reply:
    """The upstream calls a tool (streamed the OpenAI way)."""
    return Reply([
        chunk({"role": "assistant", "content": ""}),
        chunk({"tool_calls": [{"index": 0, "id": callId, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}),
        chunk(finish="tool_calls"), chunk(usage={"prompt_tokens": 7, "completion_tokens": 3}), DONE,
    ])


@pytest_twisted.ensureDeferred
async def test_a_completion_is_one_agent_run(gateway, upstream, reactor):
    upstream.reply(text_reply("Hel", "lo!"))
    client = sdk(gateway)
    answer = await in_thread(reactor, client.chat.completions.create, model="openclaw",
                             messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
    assert answer.id.startswith("chatcmpl_") and answer.object == "chat.completion" and answer.model == "openclaw"
    assert answer.choices[0].message.content == "Hello!" and answer.choices[0].finish_reason == "stop"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (10, 2, 12)
    sent = upstream.requests[0].body
    assert sent["messages"][0]["role"] == "system" and "Be brief." in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "hi"}


@pytest_twisted.ensureDeferred
async def test_streaming_sends_role_content_finish_usage_then_done(gateway, upstream, reactor):
    upstream.reply(text_reply("Hel", "lo", "!"))
    client = sdk(gateway)

    def consume():
        stream = client.chat.completions.create(
            model="openclaw/main", messages=[{"role": "user", "content": "hi"}], stream=True,
            stream_options={"include_usage": True},
        )
        return list(stream)

    chunks = await in_thread(reactor, consume)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3
    assert len({c.id for c in chunks}) == 1 and all(c.model == "openclaw/main" for c in chunks)


@pytest_twisted.ensureDeferred
async def test_a_function_tool_round_trip(gateway, upstream, reactor):
    upstream.reply(tool_call_reply("call_1", "get_weather", '{"city": "Bonn"}'), text_reply("Sunny", " in Bonn."))
    client = sdk(gateway)
    messages = [{"role": "user", "content": "Weather in Bonn?"}]
    first = await in_thread(reactor, client.chat.completions.create, model="openclaw", messages=messages,
                            tools=[WEATHER], user="alice")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_1", "get_weather", {"city": "Bonn"})
    offered = upstream.requests[0].body["tools"]
    assert [t["function"]["name"] for t in offered if t["function"]["name"] == "get_weather"] == ["get_weather"]
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"}]
    second = await in_thread(reactor, client.chat.completions.create, model="openclaw", messages=messages,
                             tools=[WEATHER], user="alice")
    assert second.choices[0].message.content == "Sunny in Bonn." and second.choices[0].finish_reason == "stop"
    followUp = upstream.requests[1].body["messages"][-1]["content"]
    assert "sunny, 21C" in followUp and "call_1" in followUp


@pytest_twisted.ensureDeferred
async def test_tool_calls_stream_as_chunks(gateway, upstream, reactor):
    upstream.reply(tool_call_reply("call_9", "get_weather", '{"city": "' + "B" * 600 + '"}'))
    client = sdk(gateway)

    def consume():
        return list(client.chat.completions.create(model="openclaw", messages=[{"role": "user", "content": "w?"}],
                                                   tools=[WEATHER], stream=True))

    chunks = await in_thread(reactor, consume)
    calls = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert calls[0].id == "call_9" and calls[0].function.name == "get_weather" and calls[0].function.arguments == ""
    fragments = [c.function.arguments for c in calls[1:]]
    assert all(len(f) <= 256 for f in fragments) and json.loads("".join(fragments)) == {"city": "B" * 600}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("kwargs, message", [
    ({"model": "gpt-4o"}, "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`."),
    ({"model": "openclaw/nobody"}, "Unknown agent 'nobody'."),
    ({"messages": [{"role": "system", "content": "x"}]}, "Missing user message in `messages`."),
    ({"temperature": 3}, "`temperature` must be between 0 and 2."),
    ({"tools": [{"type": "retrieval"}]}, "Invalid tools/tool_choice: only function tools are supported"),
])
@pytest_twisted.ensureDeferred
async def test_bad_requests_are_400s_the_sdk_raises(gateway, reactor, kwargs, message):
    request = {"model": "openclaw", "messages": [{"role": "user", "content": "hi"}], **kwargs}
    with pytest.raises(openai.BadRequestError) as caught:
        await in_thread(reactor, sdk(gateway).chat.completions.create, **request)
    assert caught.value.status_code == 400
    assert caught.value.body == {"message": message, "type": "invalid_request_error"}


@pytest_twisted.ensureDeferred
async def test_a_wrong_token_is_a_401_the_sdk_raises(gateway, reactor):
    with pytest.raises(openai.AuthenticationError) as caught:
        await in_thread(reactor, sdk(gateway, token="wrong").models.list)
    assert caught.value.status_code == 401
    assert caught.value.response.headers["content-type"] == "application/json; charset=utf-8"


@pytest_twisted.ensureDeferred
async def test_a_failed_run_is_a_500_or_an_error_frame(gateway, upstream, reactor):
    upstream.reply(Reply([b'{"error": {"message": "boom"}}'], status=400))
    with pytest.raises(openai.InternalServerError) as caught:
        await in_thread(reactor, sdk(gateway).chat.completions.create, model="openclaw",
                        messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body == {"message": "internal error", "type": "api_error"}


PNG_URL = "data:image/png;base64,iVBORw0KGgo="


@pytest_twisted.ensureDeferred
async def test_an_image_data_url_and_the_tool_choice_reach_the_model(gateway, upstream, reactor):
    upstream.reply(tool_call_reply("call_9", "get_weather", '{"city": "Bonn"}'))
    content = [{"type": "text", "text": "Weather where this photo was taken?"},
               {"type": "image_url", "image_url": {"url": PNG_URL}}]
    answer = await in_thread(reactor, sdk(gateway).chat.completions.create, model="openclaw",
                             messages=[{"role": "user", "content": content}], tools=[WEATHER],
                             tool_choice={"type": "function", "function": {"name": "get_weather"}}, user="pia")
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"
    sent = upstream.requests[0].body
    assert sent["messages"][-1] == {"role": "user", "content": [
        {"type": "text", "text": "Weather where this photo was taken?"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]}
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    store = gateway.service.tree.agents.stores.store("main")
    user = [e.message for e in await store.transcript("agent:main:openai-user:pia")][0]
    assert user["content"][1:] == [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}]


@pytest_twisted.ensureDeferred
async def test_the_tool_choice_binds_the_first_model_request_only(gateway, upstream, reactor):
    upstream.reply(openai_tool_call("call_1", "read", {"path": "missing.txt"}),
                   tool_call_reply("call_2", "get_weather", '{"city": "Bonn"}'))
    answer = await in_thread(reactor, sdk(gateway).chat.completions.create, model="openclaw",
                             messages=[{"role": "user", "content": "look it up"}], tools=[WEATHER],
                             tool_choice="required")
    assert answer.choices[0].finish_reason == "tool_calls"
    first, second = (r.body for r in upstream.requests)
    assert first["tool_choice"] == "required" and "tool_choice" not in second
