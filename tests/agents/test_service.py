"""The model service: config → providers → a streamed turn; stopping it closes the upstream connection."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError

from openclaw.agents.models import ModelChoice, ModelConfigError, ModelsSettings
from openclaw.agents.providers.base import Message, ModelRequest, TextDelta
from openclaw.agents.providers.service import ModelService
from openclaw.config.secrets import SecretsSnapshot
from tests.agents.test_ollama import DONE, line
from tests.agents.upstream import Events, Reply, closed_by_client

REQUEST = ModelRequest(model="", messages=(Message("user", "hi"),))


def service(reactor, base) -> ModelService:
    settings = ModelsSettings.fromConfig(
        {"models": {"providers": {"ollama": {"baseUrl": base, "models": [{"id": "qwen3:32b"}]}}},
         "agents": {"defaults": {"model": "ollama/qwen3:32b", "models": {"ollama/qwen3:32b": {"alias": "local"}}}}},
        SecretsSnapshot(), {})
    return ModelService(settings, reactor)


@pytest_twisted.ensureDeferred
async def test_default_model_streams_and_stop_closes_what_is_in_flight(reactor, upstreams):
    upstream, base = upstreams(b"application/x-ndjson")
    upstream.reply(Reply([line("Hi"), DONE]), Reply([line("Hel")], end="hang"))
    models = service(reactor, base)
    models.startService()
    completion = await models.stream(REQUEST, Events())
    assert (completion.model, completion.text) == ("ollama/qwen3:32b", "Hi")

    events = Events()
    first = events.next(TextDelta)
    hanging = models.stream(REQUEST, events, ModelChoice("local"))
    await first
    await models.stopService()
    with pytest.raises(CancelledError):
        await hanging
    assert await closed_by_client(upstream.requests[1], reactor)


def test_unresolvable_choice_is_refused_at_once(reactor):
    models = service(reactor, "http://127.0.0.1:9")
    with pytest.raises(ModelConfigError, match="expected provider/model"):
        models.stream(REQUEST, Events(), ModelChoice("ollama/"))
