"""POST /v1/responses (OpenResponses) with the official openai SDK and raw HTTP against a real gateway."""

from __future__ import annotations

import base64
import json

import openai
import pytest
import pytest_twisted
import treq

from tests.agents.runs.conftest import text_reply
from tests.agents.upstream import Reply
from tests.conftest import TOKEN
from tests.http.conftest import in_thread, sdk
from tests.http.test_chat_completions_sdk import tool_call_reply

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


async def post(gateway, **fields):
    response = await treq.post(gateway.http + "/v1/responses", data=json.dumps(fields).encode(), headers=AUTH, persistent=False)
    return response, await response.content()


@pytest_twisted.ensureDeferred
async def test_a_response_with_instructions(gateway, upstream, reactor):
    upstream.reply(text_reply("Hi", " there"))
    answer = await in_thread(reactor, sdk(gateway).responses.create, model="openclaw", input="hello",
                             instructions="Answer in English.")
    assert answer.id.startswith("resp_") and answer.status == "completed" and answer.model == "openclaw"
    assert answer.output_text == "Hi there"
    item = answer.output[0]
    assert item.type == "message" and item.role == "assistant" and item.status == "completed"
    assert answer.usage.input_tokens == 10 and answer.usage.output_tokens == 2 and answer.usage.total_tokens == 12
    sent = upstream.requests[0].body["messages"]
    assert "Answer in English." in sent[0]["content"] and sent[-1] == {"role": "user", "content": "hello"}


@pytest_twisted.ensureDeferred
async def test_streaming_events_come_in_the_documented_order(gateway, upstream, reactor):
    upstream.reply(text_reply("Hel", "lo"))

    def consume():
        return list(sdk(gateway).responses.create(model="openclaw", input="hi", stream=True))

    events = await in_thread(reactor, consume)
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Hello"
    assert events[-1].response.output[0].content[0].text == "Hello" and events[-1].response.status == "completed"


@pytest_twisted.ensureDeferred
async def test_function_call_and_its_output_continue_the_previous_response(gateway, upstream, reactor):
    upstream.reply(tool_call_reply("call_7", "get_weather", '{"city": "Bonn"}'), text_reply("Sunny."))
    client = sdk(gateway)
    first = await in_thread(reactor, client.responses.create, model="openclaw", input="weather in Bonn?", tools=[WEATHER])
    calls = [o for o in first.output if o.type == "function_call"]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == [("call_7", "get_weather", {"city": "Bonn"})]
    second = await in_thread(reactor, client.responses.create, model="openclaw", previous_response_id=first.id,
                             input=[{"type": "function_call_output", "call_id": "call_7", "output": "sunny, 21C"}],
                             tools=[WEATHER])
    assert second.output_text == "Sunny."
    assert "sunny, 21C" in upstream.requests[1].body["messages"][-1]["content"]
    # the same session: the first turn's user message is in the second request's context
    assert any(m.get("content") == "weather in Bonn?" for m in upstream.requests[1].body["messages"])


@pytest_twisted.ensureDeferred
async def test_a_text_file_goes_into_the_system_prompt_fenced(gateway, upstream):
    upstream.reply(text_reply("Read it."))
    data = base64.b64encode(b"the secret word is pineapple").decode()
    response, _ = await post(gateway, model="openclaw", input=[{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "summarise"},
        {"type": "input_file", "source": {"type": "base64", "media_type": "text/plain", "data": data, "filename": "a.txt"}},
    ]}])
    assert response.code == 200
    system = upstream.requests[0].body["messages"][0]["content"]
    assert "pineapple" in system and "<<<EXTERNAL_UNTRUSTED_CONTENT id=" in system
    assert "<<<END_EXTERNAL_UNTRUSTED_CONTENT id=" in system


@pytest.mark.parametrize("fields, message", [
    ({"model": "openclaw", "input": [{"type": "message", "role": "system", "content": "x"}]}, "Missing user message in `input`."),
    ({"model": "gpt-4o", "input": "hi"}, "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`."),
])
@pytest_twisted.ensureDeferred
async def test_bad_requests(gateway, reactor, fields, message):
    with pytest.raises(openai.BadRequestError) as caught:
        await in_thread(reactor, sdk(gateway).responses.create, **fields)
    assert caught.value.body == {"message": message, "type": "invalid_request_error"}


@pytest_twisted.ensureDeferred
async def test_a_failed_run_is_a_failed_response(gateway, upstream):
    upstream.reply(Reply([b'{"error": {"message": "boom"}}'], status=400))
    response, raw = await post(gateway, model="openclaw", input="hi")
    body = json.loads(raw)
    assert response.code == 500 and body["status"] == "failed"
    assert body["error"] == {"code": "server_error", "message": "Agent run failed"}


@pytest_twisted.ensureDeferred
async def test_the_stream_ends_with_response_failed_when_the_run_fails(gateway, upstream):
    upstream.reply(Reply([b'{"error": {"message": "boom"}}'], status=400))
    response, raw = await post(gateway, model="openclaw", input="hi", stream=True)
    blocks = [b for b in raw.split(b"\n\n") if b]
    assert blocks[-1] == b"data: [DONE]" and blocks[-2].startswith(b"event: response.failed\ndata: ")
    assert json.loads(blocks[-2].split(b"data: ", 1)[1])["response"]["status"] == "failed"


PNG = "iVBORw0KGgo="


@pytest.mark.parametrize("image", [
    {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}", "detail": "auto"},
    {"type": "input_image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
])
@pytest_twisted.ensureDeferred
async def test_an_input_image_and_the_tool_choice_reach_the_model(gateway, upstream, reactor, image):
    upstream.reply(text_reply("A cat."))
    answer = await in_thread(reactor, sdk(gateway).responses.create, model="openclaw", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "what is this?"}, image]}],
        tools=[WEATHER], tool_choice="none")
    assert answer.output_text == "A cat."
    sent = upstream.requests[0].body
    assert sent["messages"][-1] == {"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]}
    assert sent["tool_choice"] == "none"
    assert "get_weather" not in [t["function"]["name"] for t in sent.get("tools", ())]


@pytest_twisted.ensureDeferred
async def test_only_the_latest_user_item_carries_its_images(gateway, upstream):
    upstream.reply(text_reply("ok"))
    image = {"type": "input_image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    response, _ = await post(gateway, model="openclaw", input=[
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "first"}, image]},
        {"type": "message", "role": "assistant", "content": "seen"},
        {"type": "message", "role": "user", "content": "and now?"},
    ])
    assert response.code == 200
    assert isinstance(upstream.requests[0].body["messages"][-1]["content"], str)


@pytest_twisted.ensureDeferred
async def test_an_input_image_url_that_is_not_data_is_refused(gateway):
    response, raw = await post(gateway, model="openclaw", input=[{"role": "user", "content": [
        {"type": "input_text", "text": "hi"}, {"type": "input_image", "image_url": "https://example.com/cat.png"}]}])
    assert response.code == 400
    assert json.loads(raw)["error"]["message"].startswith("input_image: URL sources are not fetched")
