"""The models section: providers (built in, merged, replaced), keys, model refs, the failover plan."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from openclaw.agents.models import (
    HOSTED_IDLE_SECONDS,
    SELF_HOSTED_IDLE_SECONDS,
    ModelChoice,
    ModelConfigError,
    ModelRef,
    ModelsSettings,
    model_choice,
)
from openclaw.config.secrets import SecretsSnapshot, resolve_secrets

NO_SECRETS = SecretsSnapshot()


def build(config, environ=None, secrets=NO_SECRETS) -> ModelsSettings:
    return ModelsSettings.fromConfig(config, secrets, environ or {})


def test_builtin_providers_take_their_keys_from_the_environment():
    models = build({}, {"OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": ""})
    assert set(models.providers) == {"openai", "anthropic", "ollama"}
    assert models.providers["openai"].apiKey == "sk-openai"
    assert models.providers["anthropic"].apiKey is None
    assert models.providers["anthropic"].api == "anthropic-messages"
    assert models.providers["ollama"].baseUrl == "http://127.0.0.1:11434"
    assert models.providers["ollama"].idleTimeoutSeconds == SELF_HOSTED_IDLE_SECONDS
    assert models.providers["openai"].idleTimeoutSeconds == HOSTED_IDLE_SECONDS


def test_merge_keeps_builtins_and_overrides_fields_of_a_builtin():
    config = {"models": {"providers": {
        "local-vllm": {"baseUrl": "http://127.0.0.1:8000/v1/", "apiKey": "sk-local",
                       "models": [{"id": "qwen3-8b", "name": "Qwen3 8B", "maxTokens": 8192,
                                   "compat": {"maxTokensField": "max_completion_tokens"}}]},
        "ollama": {"baseUrl": "http://127.0.0.1:11500", "timeoutSeconds": 900},
    }}}
    models = build(config, {"OLLAMA_API_KEY": "ollama-env"})
    assert set(models.providers) == {"openai", "anthropic", "ollama", "local-vllm"}
    vllm = models.providers["local-vllm"]
    assert (vllm.api, vllm.baseUrl, vllm.apiKey) == ("openai-completions", "http://127.0.0.1:8000/v1", "sk-local")
    assert vllm.model("qwen3-8b").maxTokensField == "max_completion_tokens"
    ollama = models.providers["ollama"]
    assert (ollama.api, ollama.baseUrl, ollama.apiKey, ollama.idleTimeoutSeconds) == (
        "ollama", "http://127.0.0.1:11500", "ollama-env", 900.0)


def test_replace_keeps_only_the_configured_providers():
    models = build({"models": {"mode": "replace", "providers": {"lm": {"baseUrl": "http://127.0.0.1:1234/v1"}}}})
    assert list(models.providers) == ["lm"]


def test_secret_ref_api_key_takes_the_resolved_value():
    ref = {"source": "env", "provider": "default", "id": "VLLM_KEY"}
    secrets = SecretsSnapshot(values=MappingProxyType({"models.providers.vllm.apiKey": "sk-resolved"}))
    models = build({"models": {"providers": {"vllm": {"baseUrl": "http://127.0.0.1:8000/v1", "apiKey": ref}}}},
                   secrets=secrets)
    assert models.providers["vllm"].apiKey == "sk-resolved"
    assert "sk-resolved" not in repr(models)


def test_keys_through_the_real_secrets_resolver():
    """A SecretRef apiKey and header, resolved the way settings resolve them at start-up."""
    config = {"models": {"providers": {"vllm": {
        "baseUrl": "http://127.0.0.1:8000/v1",
        "apiKey": {"source": "env", "provider": "default", "id": "VLLM_KEY"},
        "headers": {"x-team": {"source": "env", "provider": "default", "id": "TEAM_TOKEN"}, "x-plain": "p"},
    }}}}
    environ = {"VLLM_KEY": "sk-from-env-ref", "TEAM_TOKEN": "team-secret"}
    models = build(config, environ, resolve_secrets(config, environ))
    assert models.providers["vllm"].apiKey == "sk-from-env-ref"
    assert dict(models.providers["vllm"].headers) == {"x-team": "team-secret", "x-plain": "p"}


def test_unresolved_secret_ref_is_an_error_naming_the_path():
    ref = {"source": "env", "provider": "default", "id": "VLLM_KEY"}
    with pytest.raises(ModelConfigError, match=r"models\.providers\.vllm\.apiKey"):
        build({"models": {"providers": {"vllm": {"baseUrl": "http://127.0.0.1:8000/v1", "apiKey": ref}}}})


@pytest.mark.parametrize("providers, message", [
    ({"x": {}}, r"x\.baseUrl must be an http"),
    ({"x": {"baseUrl": "ftp://h"}}, r"x\.baseUrl must be an http"),
    ({"x": {"baseUrl": "http://h", "api": "google-generative-ai"}}, r"x\.api 'google-generative-ai' is not supported"),
    ({"x": {"baseUrl": "http://h", "timeoutSeconds": 0}}, r"x\.timeoutSeconds must be a positive"),
    ({"x": {"baseUrl": "http://h", "models": [{"name": "n"}]}}, r"x\.models\[0\]\.id"),
])
def test_bad_provider_config_is_a_clear_error(providers, message):
    with pytest.raises(ModelConfigError, match=message):
        build({"models": {"providers": providers}})


def test_bad_mode_is_an_error():
    with pytest.raises(ModelConfigError, match="models.mode"):
        build({"models": {"mode": "overlay"}})


def test_model_refs():
    models = build({
        "models": {"providers": {
            "openrouter": {"baseUrl": "https://openrouter.example/api/v1"},
            "lm": {"baseUrl": "http://127.0.0.1:1234/v1", "models": [{"id": "qwen3-8b"}, {"id": "shared"}]},
            "vllm": {"baseUrl": "http://127.0.0.1:8000/v1", "models": [{"id": "shared"}]},
        }},
        "agents": {"defaults": {"models": {"lm/qwen3-8b": {"alias": "Fast"}}}},
    })
    assert models.resolve("openrouter/qwen/qwen3-coder:free") == ModelRef("openrouter", "qwen/qwen3-coder:free")
    assert models.resolve("fast") == ModelRef("lm", "qwen3-8b")
    assert models.resolve("qwen3-8b") == ModelRef("lm", "qwen3-8b")
    assert models.resolve("claude-x") == ModelRef("anthropic", "claude-x")
    with pytest.raises(ModelConfigError, match="ambiguous: use one of lm/shared, vllm/shared"):
        models.resolve("shared")
    with pytest.raises(ModelConfigError, match="expected provider/model"):
        models.resolve("lm/")
    with pytest.raises(ModelConfigError, match="unknown model provider 'nope'"):
        models.provider(models.resolve("nope/m"))


def test_plan_is_primary_then_fallbacks_and_a_string_is_strict():
    models = build({"agents": {"defaults": {"model": {
        "primary": "anthropic/claude-opus-4-6", "fallbacks": ["openai/gpt-5.4", "anthropic/claude-opus-4-6", "ollama/qwen3:32b"],
    }}}})
    assert [str(r) for r in models.plan()] == ["anthropic/claude-opus-4-6", "openai/gpt-5.4", "ollama/qwen3:32b"]
    strict = model_choice("ollama/qwen3:32b", "agents.entries.main.model")
    assert strict == ModelChoice("ollama/qwen3:32b")
    assert [str(r) for r in models.plan(strict)] == ["ollama/qwen3:32b"]


def test_bad_model_choice_is_an_error():
    with pytest.raises(ModelConfigError, match=r"agents\.defaults\.model\.fallbacks"):
        build({"agents": {"defaults": {"model": {"primary": "a/b", "fallbacks": "c/d"}}}})
    with pytest.raises(ModelConfigError, match=r"agents\.defaults\.model\.primary"):
        build({"agents": {"defaults": {"model": {"fallbacks": []}}}})
