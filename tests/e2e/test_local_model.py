"""
End to end through a real local OpenAI-compatible model server: llama.cpp's
C{llama-server} with SmolLM2-135M (see L{tests.support.llamaserver}), spoken to by
the C{openai-completions} provider of a C{models.providers} entry, as a user
would configure a local server: first the model service alone, then a whole
C{openclaw gateway} process answering an C{agent} run. Skipped, with the reason,
when the server is not installed.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError

from openclaw.agents.models import ModelsSettings
from openclaw.agents.providers.base import Message, ModelRequest, Stop, TextDelta, Usage
from openclaw.agents.providers.service import ModelService
from openclaw.config.secrets import SecretsSnapshot
from tests.agents.upstream import Events
from tests.conftest import TOKEN
from tests.support.llamaserver import MODEL_ID, LlamaMissing, LlamaServer, installed

#: Bounds every reply the gateway asks for (a 135M model rambles until its context is full).
REPLY_TOKENS = 48
#: A run on a busy 2-core machine: seconds, generous so only a hung run fails.
RUN_TIMEOUT = 120.0
#: What llama-server logs when the connection of a request still generating closes.
CANCELLED = r"cancel task, id_task = \d+"


@pytest.fixture(scope="module")
def llama_install():
    try:
        return installed()
    except LlamaMissing as e:
        pytest.skip(str(e))


@pytest_twisted.async_yield_fixture(scope="module")
async def llama(reactor, llama_install, tmp_path_factory):
    server = await LlamaServer.start(reactor, llama_install, tmp_path_factory.mktemp("llama"))
    try:
        yield server
    finally:
        await server.stop()


def local_config(baseUrl: str) -> dict:
    """A custom provider C{local} for the server, and it as the default model."""
    return {
        "models": {"providers": {"local": {
            "baseUrl": baseUrl, "api": "openai-completions", "models": [{"id": MODEL_ID, "name": "SmolLM2 135M", "maxTokens": REPLY_TOKENS}],
        }}},
        "agents": {"defaults": {"model": f"local/{MODEL_ID}"}},
    }


@pytest_twisted.async_yield_fixture
async def models(reactor, llama):
    service = ModelService(ModelsSettings.fromConfig(local_config(llama.baseUrl), SecretsSnapshot(), {}), reactor)
    service.startService()
    yield service
    await service.stopService()


def ask(text: str, maxTokens: int) -> ModelRequest:
    return ModelRequest(model="", messages=(Message("user", text),), maxTokens=maxTokens, temperature=0)


@pytest_twisted.ensureDeferred
async def test_a_real_reply_streams_as_text_deltas_with_usage(models):
    events = Events()
    completion = await models.stream(ask("Name three colours.", maxTokens=24), events)

    deltas = events.of(TextDelta)
    (usage,) = events.of(Usage)
    assert completion.model == f"local/{MODEL_ID}"
    assert len(deltas) > 1, events.items  # streamed token by token, not in one piece
    assert completion.text == "".join(d.text for d in deltas) and completion.text.strip()
    assert usage.input > 0 and len(deltas) <= usage.output <= 24
    assert completion.usage == usage
    assert completion.stopReason in ("stop", "length")
    assert events.items[-1] == Stop(completion.stopReason)


@pytest_twisted.ensureDeferred
async def test_cancelling_mid_stream_stops_the_generation_and_the_server_serves_on(models, llama):
    since = llama.child.mark()
    events = Events()
    first = events.next(TextDelta)
    long = models.stream(ask("Count from 1 to 300, one number per line.", maxTokens=600), events)
    await first
    long.cancel()
    with pytest.raises(CancelledError):
        await long
    # The server saw the connection close and dropped the generation (one slot:
    # had it gone on, the next request would wait for all 600 tokens).
    await llama.child.line(CANCELLED, since=since)

    completion = await models.stream(ask("Say hello.", maxTokens=8), Events())
    assert completion.text.strip() and completion.usage.output > 0


@pytest_twisted.ensureDeferred
async def test_a_gateway_answers_an_agent_run_with_the_local_models_streamed_reply(launcher, llama):
    site = launcher.install()
    site.write_config({"gateway": {"mode": "local", "auth": {"token": TOKEN}}, **local_config(llama.baseUrl)})
    port = await launcher.listening(launcher.openclaw(site, "gateway", "--port", "0"))
    client = await launcher.connect(port, scopes=("operator.admin", "operator.read", "operator.write"))

    final = await client.call(
        "agent", {"message": "Name three colours.", "agentId": "main", "deliver": False, "idempotencyKey": "local-1"},
        timeout=RUN_TIMEOUT, expectFinal=True,
    )

    accepted, last = [f for f in client.frames if f.get("type") == "res" and client.methods.get(f["id"]) == "agent"]
    assert accepted["id"] == last["id"] and accepted["payload"]["status"] == "accepted"
    assert final["runId"] == "local-1" and final["status"] == "ok", final
    (reply,) = final["result"]["payloads"]
    events = [f["payload"] for f in client.events if f["event"] == "agent" and f["payload"]["runId"] == "local-1"]
    assert events[1]["data"] == {"phase": "model", "provider": "local", "model": MODEL_ID}
    deltas = [e["data"]["delta"] for e in events if e["stream"] == "assistant"]
    # How many deltas depends on timing (the gateway coalesces what arrived within 75 ms;
    # a gateway starved of CPU may read the whole reply at once): the provider test above
    # shows the model streams token by token.
    assert deltas and "".join(deltas) == reply["text"] and reply["text"].strip()
    assert (events[-1]["stream"], events[-1]["data"]["phase"]) == ("lifecycle", "end")
    usage = final["result"]["meta"]["agentMeta"]["usage"]
    assert usage["input"] > 0 and 0 < usage["output"] <= REPLY_TOKENS
