"""POST /v1/embeddings through the configured openai-completions upstream, with the SDK."""

from __future__ import annotations

import json

import openai
import pytest
import pytest_twisted
import treq

from tests.agents.runs.conftest import MODEL
from tests.agents.upstream import Reply
from tests.conftest import TOKEN
from tests.http.conftest import in_thread, sdk


@pytest.fixture
def extra_config() -> dict:
    return {"agents": {"defaults": {"model": MODEL, "memorySearch": {"provider": "fakeup", "model": "embed-1"}}}}


def vectors(*rows: list[float], prompt: int = 4) -> Reply:
    body = {"object": "list", "model": "embed-1", "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(rows)]}
    return Reply([json.dumps(body).encode()])


@pytest_twisted.ensureDeferred
async def test_embeddings_come_from_the_configured_upstream(gateway, upstream, reactor):
    upstream.reply(vectors([0.5, -0.25], [1.0, 0.0]), vectors([0.125, 2.0]))
    client = sdk(gateway)
    answer = await in_thread(reactor, client.embeddings.create, model="openclaw", input=["a", "b"],
                             encoding_format="float")
    assert [d.embedding for d in answer.data] == [[0.5, -0.25], [1.0, 0.0]]
    assert answer.model == "openclaw" and answer.usage.prompt_tokens == 4
    seen = upstream.requests[0]
    assert seen.path == "/v1/embeddings" and seen.body["model"] == "embed-1" and seen.body["input"] == ["a", "b"]
    assert seen.headers["authorization"] == "Bearer sk-test-0123456789"
    # the SDK's default asks for base64 (little-endian float32) and decodes it
    packed = await in_thread(reactor, client.embeddings.create, model="openclaw", input="c")
    assert packed.data[0].embedding == [0.125, 2.0]


@pytest.mark.parametrize("fields, message", [
    ({"input": "x"}, "Missing `model`."),
    ({"model": "openclaw", "input": 5}, "`input` must be a string or an array of strings."),
    ({"model": "openclaw", "input": ["x"] * 129}, "Too many inputs (max 128)."),
    ({"model": "openclaw", "input": "x" * 8193}, "Input too long (max 8192 chars)."),
    ({"model": "openclaw", "input": ["x" * 8000] * 9}, "Total input too large (max 65536 chars)."),
])
@pytest_twisted.ensureDeferred
async def test_input_limits(gateway, reactor, fields, message):
    response = await treq.post(gateway.http + "/v1/embeddings", data=json.dumps(fields).encode(),
                               headers={"Authorization": f"Bearer {TOKEN}"}, persistent=False)
    assert response.code == 400
    assert json.loads(await response.content()) == {"error": {"message": message, "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_an_upstream_failure_is_a_500_without_its_details(gateway, upstream, reactor):
    upstream.reply(Reply([b'{"error": {"message": "key sk-live-xyz rejected"}}'], status=401))
    with pytest.raises(openai.InternalServerError) as caught:
        await in_thread(reactor, sdk(gateway).embeddings.create, model="openclaw", input="x")
    assert caught.value.body == {"message": "internal error", "type": "api_error"}
