"""
The OpenAI-compatible HTTP endpoints side by side: the same requests to our gateway
(a real C{openclaw gateway} process) and to the real OpenClaw 2026.9.6 gateway, both
configured alike (chat completions on, the fake upstream as their model provider)
and answering from one scripted upstream. They must agree in status, the headers
that matter and the shape of the body (ids, timestamps and token counts aside).

One deliberate difference: a disabled endpoint. OpenClaw answers a bare text 404 (the
same as an unknown path); ours answers 404 with a JSON body naming the config key
that enables it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import treq

from tests.agents.upstream import FakeUpstream, Reply, base_url, serve, sse
from tests.conftest import TOKEN, HeldPorts
from tests.e2e.conftest import LISTENING, Install
from tests.e2e.processes import OPENCLAW, spawn

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
#: The real gateway loads a large bundle and its plugins before it serves.
START_TIMEOUT = 300.0
#: Replies queued per request: the real gateway may ask the model more than once per turn.
REPLIES_PER_REQUEST = 4


def stream_reply(*words: str) -> Reply:
    def chunk(delta: dict | None = None, finish: str | None = None, usage: dict | None = None) -> bytes:
        body: dict[str, Any] = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1796600000,
                                "model": "fake-model", "choices": []}
        if usage is None:
            body["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
        else:
            body["usage"] = usage
        return sse((None, body))

    return Reply([chunk({"role": "assistant", "content": ""}), *[chunk({"content": w}) for w in words],
                  chunk(finish="stop"), chunk(usage={"prompt_tokens": 9, "completion_tokens": len(words)}),
                  sse((None, "[DONE]"))])


@pytest_twisted.async_yield_fixture(scope="module")
async def upstream(reactor):
    fake = FakeUpstream(b"text/event-stream")
    port = serve(reactor, fake)
    yield fake, base_url(port)
    await port.stopListening()


def pair_config(url: str, port: int) -> dict[str, Any]:
    return {
        "gateway": {"mode": "local", "port": port, "auth": {"mode": "token", "token": TOKEN},
                    "http": {"endpoints": {"chatCompletions": {"enabled": True}}}},
        "models": {"providers": {"fakeup": {
            "baseUrl": f"{url}/v1", "apiKey": "sk-fake-upstream-0123", "api": "openai-completions",
            "models": [{"id": "fake-model", "name": "Fake Model", "contextWindow": 128000}],
        }}},
        "agents": {"defaults": {"model": "fakeup/fake-model"}},
        "update": {"checkOnStart": False},
    }


async def started(reactor, tmp_path_factory, url: str, name: str, argv, env, ready: str):
    """A gateway process on a port of its own with L{pair_config}; yields its HTTP base URL."""
    site = Install(Path(tmp_path_factory.mktemp(name)))
    held = HeldPorts()
    port = held.reserve()
    site.write_config(pair_config(url, port))
    child = spawn(reactor, [*argv, "gateway", "--port", str(port)], env(site.env), site.root, name=name)
    try:
        await child.line(ready, timeout=START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        await child.kill()
        held.close()


@pytest_twisted.async_yield_fixture(scope="module")
async def ours(reactor, tmp_path_factory, upstream):
    async for base in started(reactor, tmp_path_factory, upstream[1], "our-gateway", [OPENCLAW], dict, LISTENING):
        yield base


@pytest_twisted.async_yield_fixture(scope="module")
async def real(reactor, real_openclaw, tmp_path_factory, upstream):
    async for base in started(reactor, tmp_path_factory, upstream[1], "real-gateway", real_openclaw.argv(),
                              real_openclaw.environ, r"\[gateway\] ready"):
        yield base


@pytest.fixture(scope="module")
def both(ours, real) -> dict[str, str]:
    return {"ours": ours, "real": real}


async def ask(base: str, method: str, path: str, headers: dict | None = None, body: Any = None):
    data = json.dumps(body).encode() if body is not None else None
    response = await treq.request(method, base + path, headers=headers, data=data, persistent=False)
    return response, await response.content()


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and types, not the values (lists by their first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def header(response, name: str) -> str | None:
    return (response.headers.getRawHeaders(name) or [None])[0]


async def side_by_side(both, upstream, method: str, path: str, headers=None, body=None, replies=()) -> dict:
    fake, _ = upstream
    answers = {}
    for side, base in both.items():
        for reply in replies:
            fake.reply(*[reply] * REPLIES_PER_REQUEST)
        response, raw = await ask(base, method, path, headers, body)
        fake._replies.clear()
        answers[side] = (response, raw)
    return answers


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/openclaw%2Fdefault"])
@pytest_twisted.ensureDeferred
async def test_models_agree(both, upstream, path):
    answers = await side_by_side(both, upstream, "GET", path, AUTH)
    (ours, ourBody), (real, realBody) = answers["ours"], answers["real"]
    assert ours.code == real.code == 200
    assert header(ours, "content-type") == header(real, "content-type")
    assert json.loads(ourBody) == json.loads(realBody)


@pytest.mark.parametrize("method, path, headers, body", [
    ("GET", "/v1/models", None, None),
    ("GET", "/v1/models", {"Authorization": "Bearer wrong-token"}, None),
    ("GET", "/v1/models/openclaw%2Fnobody", AUTH, None),
    ("GET", "/v1/models/gpt-4o", AUTH, None),
    ("POST", "/v1/chat/completions", AUTH, {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}),
    ("POST", "/v1/chat/completions", AUTH, {"model": "openclaw", "messages": [{"role": "system", "content": "x"}]}),
    ("POST", "/v1/chat/completions", AUTH, {"model": "openclaw", "temperature": 5,
                                            "messages": [{"role": "user", "content": "hi"}]}),
])
@pytest_twisted.ensureDeferred
async def test_errors_agree(both, upstream, method, path, headers, body):
    answers = await side_by_side(both, upstream, method, path, headers, body)
    (ours, ourBody), (real, realBody) = answers["ours"], answers["real"]
    assert ours.code == real.code
    assert header(ours, "content-type") == header(real, "content-type")
    assert json.loads(ourBody) == json.loads(realBody)


@pytest_twisted.ensureDeferred
async def test_a_wrong_method_agrees(both, upstream):
    answers = await side_by_side(both, upstream, "POST", "/v1/models", AUTH, {})
    (ours, _), (real, _) = answers["ours"], answers["real"]
    assert ours.code == real.code == 405
    assert header(ours, "allow") == header(real, "allow")


@pytest_twisted.ensureDeferred
async def test_a_completion_agrees_in_shape(both, upstream):
    request = {"model": "openclaw", "messages": [{"role": "user", "content": "hi"}]}
    answers = await side_by_side(both, upstream, "POST", "/v1/chat/completions", AUTH, request, [stream_reply("Hi", "!")])
    (ours, ourBody), (real, realBody) = answers["ours"], answers["real"]
    assert ours.code == real.code == 200, (ourBody, realBody)
    ourJson, realJson = json.loads(ourBody), json.loads(realBody)
    assert shape(ourJson) == shape(realJson)
    assert ourJson["choices"][0]["message"] == realJson["choices"][0]["message"] == {"role": "assistant", "content": "Hi!"}
    assert ourJson["choices"][0]["finish_reason"] == realJson["choices"][0]["finish_reason"] == "stop"


def sse_frames(raw: bytes) -> list[Any]:
    return [json.loads(b[6:]) if b != b"data: [DONE]" else "[DONE]" for b in raw.split(b"\n\n") if b.startswith(b"data: ")]


@pytest_twisted.ensureDeferred
async def test_a_stream_agrees_in_headers_and_frames(both, upstream):
    request = {"model": "openclaw", "stream": True, "stream_options": {"include_usage": True},
               "messages": [{"role": "user", "content": "hi"}]}
    answers = await side_by_side(both, upstream, "POST", "/v1/chat/completions", AUTH, request,
                                 [stream_reply("Hel", "lo")])
    (ours, ourBody), (real, realBody) = answers["ours"], answers["real"]
    assert ours.code == real.code == 200
    for name in ("content-type", "cache-control"):
        assert header(ours, name) == header(real, name)
    ourFrames, realFrames = sse_frames(ourBody), sse_frames(realBody)
    for frames in (ourFrames, realFrames):
        assert frames[0]["choices"][0]["delta"] == {"role": "assistant"} and frames[-1] == "[DONE]"
        assert "".join(f["choices"][0]["delta"].get("content", "") for f in frames[:-1] if f["choices"]) == "Hello"
    assert shape(ourFrames[0]) == shape(realFrames[0]) and shape(ourFrames[-2]) == shape(realFrames[-2])
    assert ourFrames[-3]["choices"][0]["finish_reason"] == realFrames[-3]["choices"][0]["finish_reason"] == "stop"


@pytest_twisted.ensureDeferred
async def test_a_disabled_endpoint_differs_on_purpose(both, upstream):
    """Both 404; ours names the key that enables the endpoint, OpenClaw's is a bare Not Found."""
    answers = await side_by_side(both, upstream, "POST", "/v1/responses", AUTH, {"model": "openclaw", "input": "hi"})
    (ours, ourBody), (real, realBody) = answers["ours"], answers["real"]
    assert ours.code == real.code == 404
    assert realBody == b"Not Found"
    assert json.loads(ourBody)["error"]["configKey"] == "gateway.http.endpoints.responses.enabled"
