"""/v1/chat/completions and its runs: sessions, disconnects, failures mid-stream (raw HTTP where the SDK hides it)."""

from __future__ import annotations

import json

import pytest_twisted
import treq
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from tests.agents.runs.conftest import chunk, text_reply
from tests.agents.upstream import Reply, closed_by_client
from tests.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def body(**fields) -> bytes:
    return json.dumps({"model": "openclaw", "messages": [{"role": "user", "content": "hi"}], **fields}).encode()


async def post(gateway, payload: bytes, headers=None):
    response = await treq.post(gateway.http + "/v1/chat/completions", data=payload, headers={**AUTH, **(headers or {})},
                               persistent=False)
    return response, await response.content()


def frames(raw: bytes) -> list:
    return [json.loads(line[6:]) if line != b"data: [DONE]" else "[DONE]"
            for line in raw.split(b"\n\n") if line.startswith(b"data: ")]


class StreamReader(Protocol):
    def __init__(self) -> None:
        self.data = b""
        self.firstFrame: Deferred = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if b"data: " in self.data and not self.firstFrame.called:
            self.firstFrame.callback(None)


@pytest_twisted.ensureDeferred
async def test_user_maps_to_a_stable_session_and_otherwise_each_request_is_fresh(gateway, upstream):
    upstream.reply(text_reply("a"), text_reply("b"), text_reply("c"))
    for payload in (body(user="Alice"), body(user="Alice"), body()):
        response, _ = await post(gateway, payload)
        assert response.code == 200
    client = await gateway.connect()
    rows = (await client.call("sessions.list", {}))["sessions"]
    keys = sorted(r["key"] for r in rows)
    assert "agent:main:openai-user:alice" in keys
    assert len([k for k in keys if k.startswith("agent:main:openai:")]) == 1
    # the second request of alice's session saw the first exchange in its context
    assert any(m.get("content") == "a" for m in upstream.requests[1].body["messages"])


@pytest_twisted.ensureDeferred
async def test_the_session_key_header_picks_the_session_and_reserved_ones_are_refused(gateway, upstream):
    upstream.reply(text_reply("ok"))
    response, _ = await post(gateway, body(), {"x-openclaw-session-key": "Support"})
    assert response.code == 200
    client = await gateway.connect()
    assert "agent:main:support" in [r["key"] for r in (await client.call("sessions.list", {}))["sessions"]]
    response, raw = await post(gateway, body(), {"x-openclaw-session-key": "cron:nightly"})
    assert response.code == 400
    assert json.loads(raw)["error"]["message"] == "`x-openclaw-session-key` cannot use reserved internal session namespaces."


@pytest_twisted.ensureDeferred
async def test_a_client_that_disconnects_aborts_the_run(gateway, upstream, reactor):
    upstream.reply(Reply([chunk({"role": "assistant", "content": ""}), chunk({"content": "Par"}), Deferred()]))
    reader = StreamReader()
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", gateway.service.port)
    proto = await connectProtocol(endpoint, reader)
    payload = body(stream=True)
    proto.transport.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload
    )
    seen = await upstream.arrived(1)
    await reader.firstFrame
    closed = closed_by_client(seen, reactor)
    proto.transport.loseConnection()
    assert await closed


@pytest_twisted.ensureDeferred
async def test_a_failure_mid_stream_is_an_error_frame_then_done(gateway, upstream):
    upstream.reply(Reply([chunk({"role": "assistant", "content": ""}), chunk({"content": "Par"})], end="cut"))
    response, raw = await post(gateway, body(stream=True))
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type") == ["text/event-stream; charset=utf-8"]
    assert response.headers.getRawHeaders("cache-control") == ["no-cache"]
    sent = frames(raw)
    assert sent[-2] == {"error": {"message": "Agent run failed", "type": "api_error"}} and sent[-1] == "[DONE]"
    assert "".join(f["choices"][0]["delta"].get("content", "") for f in sent[:-2] if f["choices"]) == "Par"


@pytest_twisted.ensureDeferred
async def test_a_required_tool_choice_the_agent_did_not_honour_is_a_502(gateway, upstream):
    upstream.reply(text_reply("no tools today"))
    tool = {"type": "function", "function": {"name": "lookup"}}
    response, raw = await post(gateway, body(tools=[tool], tool_choice="required"))
    assert response.code == 502
    assert json.loads(raw) == {"error": {"message": "tool_choice=required was not satisfied by the agent response",
                                         "type": "api_error"}}


@pytest_twisted.ensureDeferred
async def test_image_parts_must_be_base64_data_urls(gateway, upstream):
    upstream.reply(text_reply("a picture"))
    ok = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    response, _ = await post(gateway, json.dumps({"model": "openclaw", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "what is this?"}, ok]}]}).encode())
    assert response.code == 200
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    response, raw = await post(gateway, json.dumps({"model": "openclaw", "messages": [
        {"role": "user", "content": [remote]}]}).encode())
    assert response.code == 400 and json.loads(raw)["error"]["message"] == "Invalid image_url content in `messages`."


@pytest_twisted.ensureDeferred
async def test_a_body_over_the_limit_is_a_413(gateway):
    response, raw = await post(gateway, b'{"messages": "' + b"x" * (21 * 1024 * 1024) + b'"}')
    assert response.code == 413
    assert json.loads(raw) == {"error": {"message": "Payload too large", "type": "invalid_request_error"}}
