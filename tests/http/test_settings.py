"""C{gateway.http.*} as a settings section: defaults, limits, refusals, and the disabled-endpoint answer."""

from __future__ import annotations

import orjson
import pytest
from twisted.web.test.requesthelper import DummyRequest

from openclaw.agents.models import ModelConfigError
from openclaw.config import diff
from openclaw.config.schema import validate
from openclaw.gateway.http.responses import endpoint_disabled
from openclaw.http_settings import CHAT_COMPLETIONS_KEY, RESPONSES_KEY, HttpSettings, MIB


def test_defaults_keep_every_endpoint_off():
    s = HttpSettings.fromConfig({})
    assert not s.chatCompletions.enabled and not s.responses.enabled and not s.openaiEnabled
    assert s.chatCompletions.maxBodyBytes == 20 * MIB
    assert s.chatCompletions.images.allowUrl is False and s.responses.images.allowUrl is True
    assert s.responses.files.maxChars == 60_000 and s.responses.maxUrlParts == 8
    assert (s.embeddings.provider, s.embeddings.model) == ("openai", "text-embedding-3-small")
    assert s.strictTransportSecurity is None


def test_either_endpoint_serves_the_shared_routes():
    config = {"gateway": {"http": {"endpoints": {"responses": {"enabled": True}}}}}
    s = HttpSettings.fromConfig(config)
    assert s.responses.enabled and not s.chatCompletions.enabled and s.openaiEnabled


def test_limits_and_embedding_provider_come_from_the_config():
    config = {
        "gateway": {"http": {
            "endpoints": {"chatCompletions": {"enabled": True, "maxBodyBytes": 1000, "images": {"maxBytes": 10}}},
            "securityHeaders": {"strictTransportSecurity": "max-age=60"},
        }},
        "agents": {"defaults": {"memorySearch": {"provider": "Local", "model": "nomic-embed"}}},
    }
    s = HttpSettings.fromConfig(config)
    assert s.chatCompletions.maxBodyBytes == 1000 and s.chatCompletions.images.maxBytes == 10
    assert (s.embeddings.provider, s.embeddings.model) == ("local", "nomic-embed")
    assert s.strictTransportSecurity == "max-age=60"


@pytest.mark.parametrize("config, needle", [
    ({"gateway": {"http": {"endpoints": {"chatCompletions": {"maxBodyBytes": 0}}}}}, "maxBodyBytes"),
    ({"gateway": {"http": {"endpoints": {"responses": {"files": {"allowedMimes": "text/plain"}}}}}}, "allowedMimes"),
    ({"agents": {"defaults": {"memorySearch": {"model": ""}}}}, "memorySearch.model"),
])
def test_malformed_values_are_refused_with_their_path(config, needle):
    with pytest.raises(ModelConfigError, match=needle):
        HttpSettings.fromConfig(config)


def test_a_change_applies_without_a_restart():
    off = {"gateway": {"mode": "local", "http": {"endpoints": {"chatCompletions": {"enabled": False}}}}}
    on = {"gateway": {"mode": "local", "http": {"endpoints": {"chatCompletions": {"enabled": True}}}}}
    plan = diff.plan(off, on)
    assert plan.changed == (CHAT_COMPLETIONS_KEY,) and not plan.restartRequired
    assert not diff.plan({"gateway": {"mode": "local"}}, on).restartRequired


def test_a_disabled_endpoint_names_the_key_that_enables_it():
    request = DummyRequest([b"v1", b"models"])
    body = orjson.loads(endpoint_disabled(request, CHAT_COMPLETIONS_KEY, RESPONSES_KEY))
    assert request.responseCode == 404
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"application/json; charset=utf-8"]
    assert body["error"]["type"] == "not_found" and body["error"]["configKey"] == CHAT_COMPLETIONS_KEY
    assert CHAT_COMPLETIONS_KEY in body["error"]["message"] and RESPONSES_KEY in body["error"]["message"]


def test_the_config_schema_admits_the_limits():
    images = {"allowUrl": False, "maxBytes": 100, "allowedMimes": ["image/png"]}
    config = {"gateway": {"http": {"endpoints": {
        "chatCompletions": {"enabled": True, "maxBodyBytes": 1000, "images": images},
        "responses": {"enabled": True, "maxBodyBytes": 1000, "maxUrlParts": 2, "images": images,
                      "files": {"maxBytes": 10, "maxChars": 10, "allowedMimes": ["text/plain"]}},
    }}}}
    assert validate(config) == []
