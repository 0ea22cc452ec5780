"""
Auth-profile stores at run time: the profile order, ref-only entries resolved
through the secrets resolver, the read-through of the default agent's store, the
precedence over config and environment keys, and a run of each agent sending its
own agent's key to the upstream (checked on the Authorization header).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import pytest_twisted

from openclaw import paths as P
from openclaw.agents.models import ModelsSettings
from openclaw.config.authprofiles import (
    ProfileKeys,
    agent_keys,
    merge_stores,
    profile_order,
    read_store,
    store_keys,
    store_path,
)
from openclaw.config.load import load_source
from openclaw.config.secrets import EXEC_NOT_RUN, SecretsSnapshot
from openclaw.settings import build
from tests.agents.runs.conftest import operator, run_config, text_reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import TOKEN, serving, start_gateway

NOW_MS = 1_765_000_000_000
ENV_REF = {"source": "env", "provider": "default", "id": "TEAM_KEY"}
MAIN_KEY = "sk-main-profile-5b1e2c"
OPS_KEY = "sk-ops-profile-9d7a41"
CONFIG_KEY = "sk-test-0123456789"  # run_config's plaintext apiKey for fakeup


def api_key(provider: str, key: str | None = None, ref: dict | None = None) -> dict:
    profile: dict = {"type": "api_key", "provider": provider}
    if key is not None:
        profile["key"] = key
    if ref is not None:
        profile["keyRef"] = ref
    return profile


def write_store(stateDir: str | Path, agentId: str, profiles: dict, **extra) -> Path:
    path = Path(store_path(str(stateDir), agentId))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": profiles, **extra}))
    return path


# -- the order ------------------------------------------------------------------


def test_without_an_order_tokens_come_first_then_the_least_recently_used():
    store = {"profiles": {
        "openai:old": api_key("openai", "a"),
        "openai:new": api_key("openai", "b"),
        "openai:tok": {"type": "token", "provider": "OpenAI", "token": "c"},
        "openai:oauth": {"type": "oauth", "provider": "openai", "access": "d"},
        "other:x": api_key("other", "e"),
    }, "usageStats": {"openai:old": {"lastUsed": 5}, "openai:new": {"lastUsed": 1}}}
    assert profile_order(store, {}, "openai") == ["openai:tok", "openai:new", "openai:old"]


def test_the_store_order_wins_over_the_config_order_and_the_config_profiles():
    store = {"profiles": {"p:a": api_key("p", "a"), "p:b": api_key("p", "b"), "p:c": api_key("p", "c")},
             "order": {"p": ["p:c", "p:missing", "p:a", "p:c"]}}
    config = {"auth": {"order": {"p": ["p:b"]}, "profiles": {"p:a": {"provider": "p"}}}}
    assert profile_order(store, config, "p") == ["p:c", "p:a"]
    del store["order"]
    assert profile_order(store, config, "p") == ["p:b"]
    del config["auth"]["order"]
    assert profile_order(store, config, "p") == ["p:a"]  # auth.profiles names the provider's profiles


# -- the keys of one store ---------------------------------------------------------


def test_a_ref_only_profile_takes_its_ref_value_and_a_ref_wins_over_plaintext(tmp_path):
    vault = tmp_path / "vault.json"
    vault.write_text(json.dumps({"anthropic": "sk-from-file"}))
    os.chmod(vault, 0o600)
    config = {"secrets": {"providers": {"vault": {"source": "file", "path": str(vault)}}}}
    store = {"profiles": {
        "openai:default": api_key("openai", ref=ENV_REF),
        "anthropic:default": api_key("anthropic", "sk-stale-plaintext",
                                     {"source": "file", "provider": "vault", "id": "/anthropic"}),
    }}
    keys, warnings = store_keys(store, config, {"TEAM_KEY": "sk-from-env"}, NOW_MS)
    assert keys == {"openai": "sk-from-env", "anthropic": "sk-from-file"} and warnings == []


def test_a_profile_that_does_not_resolve_is_skipped_with_a_warning_and_the_next_one_used():
    store = {"profiles": {
        "p:broken": api_key("p", ref={"source": "env", "provider": "default", "id": "UNSET_KEY"}),
        "p:backup": api_key("p", "sk-backup-plain"),
    }, "order": {"p": ["p:broken", "p:backup"]}}
    keys, warnings = store_keys(store, {}, {}, NOW_MS)
    assert keys == {"p": "sk-backup-plain"}
    assert len(warnings) == 1 and warnings[0].startswith('auth profile "p:broken" is skipped: its keyRef could not be resolved')
    assert "sk-backup-plain" not in warnings[0]


@pytest.mark.parametrize("expires, used", [
    (NOW_MS + 60_000, "sk-token"), (NOW_MS - 1, "sk-key"), (0, "sk-key"), ("soon", "sk-key"), (None, "sk-key"),
])
def test_a_token_profile_is_used_only_before_it_expires(expires, used):
    token = {"type": "token", "provider": "p", "token": "sk-token", "expires": expires}
    keys, _ = store_keys({"profiles": {"p:token": token, "p:key": api_key("p", "sk-key")}}, {}, {}, NOW_MS)
    assert keys == {"p": used}


def test_an_exec_ref_is_not_run_when_only_checking(tmp_path):
    marker = tmp_path / "ran"
    script = tmp_path / "provider.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho '{{}}'\n")
    os.chmod(script, 0o700)
    config = {"secrets": {"providers": {"vault": {"source": "exec", "command": str(script)}}}}
    store = {"profiles": {"p:x": api_key("p", ref={"source": "exec", "provider": "vault", "id": "p/key"})}}
    keys, _ = store_keys(store, config, {}, NOW_MS, runExec=False)
    assert keys == {"p": EXEC_NOT_RUN} and not marker.exists()


# -- agents ---------------------------------------------------------------------------


def test_an_agent_reads_its_store_over_the_default_agents(tmp_path):
    main = write_store(tmp_path, "main", {"p:a": api_key("p", "main-a"), "q:a": api_key("q", "main-q")},
                       order={"p": ["p:a"]}, usageStats={"p:a": {"lastUsed": 3}})
    ops = write_store(tmp_path, "ops", {"p:a": api_key("p", "ops-a"), "p:b": api_key("p", "ops-b")},
                      order={"p": ["p:b", "p:a"]})
    dev = write_store(tmp_path, "dev", {"q:dev": api_key("q", "dev-q"), "p:dev": api_key("p", "dev-p")})
    store = merge_stores(read_store(str(main)), read_store(str(ops)))
    assert list(store["profiles"]) == ["p:a", "p:b", "q:a"]  # the agent's own first
    assert store["profiles"]["p:a"]["key"] == "ops-a" and store["profiles"]["q:a"]["key"] == "main-q"
    assert store["order"] == {"p": ["p:b", "p:a"]} and store["usageStats"] == {"p:a": {"lastUsed": 3}}
    assert merge_stores(read_store(str(main)), read_store(str(dev)))["order"] == {"p": ["p:dev", "p:a"]}
    keys, warnings = agent_keys(str(tmp_path), ["main", "ops", "dev", "idle"], "main", {}, {}, NOW_MS)
    assert dict(keys.default) == {"p": "main-a", "q": "main-q"}
    assert {a: dict(k) for a, k in keys.agents.items()} == {
        "ops": {"p": "ops-b", "q": "main-q"}, "dev": {"p": "dev-p", "q": "dev-q"}}
    assert keys.forAgent("idle") == keys.default and warnings == []  # no store of its own: the default's


def test_an_unreadable_store_counts_as_empty_with_a_warning(tmp_path):
    path = Path(store_path(str(tmp_path), "main"))
    path.parent.mkdir(parents=True)
    path.write_text('{"profiles": {"p:a": {"type": "api_key", "key": "sk-half')
    write_store(tmp_path, "ops", {"p:ops": api_key("p", "sk-ops")})
    keys, warnings = agent_keys(str(tmp_path), ["main", "ops"], "main", {}, {}, NOW_MS)
    assert dict(keys.default) == {} and {a: dict(k) for a, k in keys.agents.items()} == {"ops": {"p": "sk-ops"}}
    assert warnings == [f"auth profiles of agent main are not used: {path}: cannot read it as JSON (JSONDecodeError)"]
    assert "sk-half" not in warnings[0]


# -- the settings build ----------------------------------------------------------------


def built(environ: dict[str, str], config: dict, runExec: bool = True):
    paths = P.Paths.fromEnvironment(environ)
    Path(paths.configPath).parent.mkdir(parents=True, exist_ok=True)
    Path(paths.configPath).write_text(json.dumps(config))
    return build({}, environ, paths, load_source(paths.configPath, environ), persist=False, runExec=runExec)


def test_a_profile_key_comes_before_the_config_key_and_the_environment(environ):
    config = {"gateway": {"mode": "local", "auth": {"token": TOKEN}},
              "agents": {"entries": {"main": {}, "ops": {}}},
              "models": {"providers": {"openai": {"apiKey": "sk-config"}, "local": {
                  "baseUrl": "http://127.0.0.1:9/v1", "apiKey": "sk-local-config"}}}}
    environ = {**environ, "OPENAI_API_KEY": "sk-env", "ANTHROPIC_API_KEY": "sk-anthropic-env", "TEAM_KEY": OPS_KEY}
    state = environ["OPENCLAW_STATE_DIR"]
    write_store(state, "main", {"openai:default": api_key("openai", MAIN_KEY)})
    write_store(state, "ops", {"openai:default": api_key("openai", ref=ENV_REF),
                               "anthropic:default": api_key("anthropic", "sk-anthropic-profile")})
    models = built(environ, config).models
    assert {p: models.providers[p].apiKey for p in ("openai", "anthropic", "local")} == {
        "openai": MAIN_KEY, "anthropic": "sk-anthropic-env", "local": "sk-local-config"}
    ops = models.forAgent("ops")
    assert {p: ops.providers[p].apiKey for p in ("openai", "anthropic", "local")} == {
        "openai": OPS_KEY, "anthropic": "sk-anthropic-profile", "local": "sk-local-config"}
    assert models.forAgent("main") is models and models.forAgent("unknown") is models


def test_a_profile_that_does_not_resolve_leaves_the_next_key_and_a_warning_not_a_refusal(environ):
    config = {"gateway": {"mode": "local", "auth": {"token": TOKEN}},
              "models": {"providers": {"openai": {"apiKey": "sk-config"}}}}
    write_store(environ["OPENCLAW_STATE_DIR"], "main", {"openai:default": api_key("openai", ref=ENV_REF)})
    settings = built(environ, config)
    assert settings.models.providers["openai"].apiKey == "sk-config"
    assert any('agent main: auth profile "openai:default" is skipped' in w for w in settings.warnings)


def test_models_settings_without_profile_keys_are_as_before():
    config = {"models": {"providers": {"local": {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": "sk-c"}}}}
    plain = ModelsSettings.fromConfig(config, SecretsSnapshot(), {})
    keyed = ModelsSettings.fromConfig(config, SecretsSnapshot(), {}, ProfileKeys({"local": "sk-p"}, {"ops": {}}))
    assert plain.providers["local"].apiKey == "sk-c" and keyed.providers["local"].apiKey == "sk-p"
    assert keyed.forAgent("ops").providers["local"].apiKey == "sk-c"  # ops' order left no profile


# -- runs against an upstream that checks the key ----------------------------------------


@pytest.fixture
def profile_gateway_config(upstream) -> dict:  # noqa: F811 (the fixture)
    config = run_config(upstream.base)
    config["agents"]["entries"] = {"main": {}, "ops": {}}
    return config


@pytest_twisted.async_yield_fixture
async def profile_gateway(reactor, environ, profile_gateway_config):
    environ["TEAM_KEY"] = OPS_KEY
    state = environ["OPENCLAW_STATE_DIR"]
    write_store(state, "main", {"fakeup:default": api_key("fakeup", MAIN_KEY)})
    write_store(state, "ops", {"fakeup:team": api_key("fakeup", ref=ENV_REF)})
    service = start_gateway(reactor, environ, profile_gateway_config)
    async with serving(service, reactor) as running:
        yield running


def authorizations(upstream) -> list[str]:  # noqa: F811 (the fixture)
    return [r.headers["authorization"] for r in upstream.requests]


@pytest_twisted.ensureDeferred
async def test_each_agent_runs_with_its_own_profile_key(profile_gateway, upstream):  # noqa: F811
    upstream.reply(text_reply("main"), text_reply("ops"))
    client = await operator(profile_gateway)
    for agentId, key in (("main", "m-1"), ("ops", "o-1")):
        done = await client.call("agent", {"message": "hi", "agentId": agentId, "idempotencyKey": key}, expectFinal=True)
        assert done["status"] == "ok"
    assert authorizations(upstream) == [f"Bearer {MAIN_KEY}", f"Bearer {OPS_KEY}"]


@pytest_twisted.ensureDeferred
async def test_a_secrets_reload_picks_up_an_edited_store_for_new_runs(profile_gateway, upstream, environ):  # noqa: F811
    upstream.reply(text_reply("one"), text_reply("two"), text_reply("three"))
    client = await operator(profile_gateway)
    await client.call("agent", {"message": "hi", "agentId": "ops", "idempotencyKey": "r-1"}, expectFinal=True)
    state = environ["OPENCLAW_STATE_DIR"]
    write_store(state, "ops", {"fakeup:team": api_key("fakeup", "sk-ops-rotated-3c3c")})
    await client.call("agent", {"message": "hi", "agentId": "ops", "idempotencyKey": "r-2"}, expectFinal=True)
    assert await client.call("secrets.reload", {}) == {"ok": True, "warningCount": 0}
    await client.call("agent", {"message": "hi", "agentId": "ops", "idempotencyKey": "r-3"}, expectFinal=True)
    assert authorizations(upstream) == [f"Bearer {OPS_KEY}", f"Bearer {OPS_KEY}", "Bearer sk-ops-rotated-3c3c"]


@pytest_twisted.ensureDeferred
async def test_without_a_profile_the_config_key_is_sent(profile_gateway, upstream, environ):  # noqa: F811
    upstream.reply(text_reply("one"))
    for agentId in ("main", "ops"):
        os.unlink(store_path(environ["OPENCLAW_STATE_DIR"], agentId))
    client = await operator(profile_gateway)
    assert (await client.call("secrets.reload", {}))["ok"] is True
    await client.call("agent", {"message": "hi", "agentId": "ops", "idempotencyKey": "c-1"}, expectFinal=True)
    assert authorizations(upstream) == [f"Bearer {CONFIG_KEY}"]
