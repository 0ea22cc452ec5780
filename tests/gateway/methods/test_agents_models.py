"""
C{agents.list}, C{agent.identity.get} and C{models.list} over a real socket: the
answers come from the config the gateway started with (and a hot reload of it).
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.conftest import local_config, serving, start_gateway

OFF = [{"id": "off", "label": "off"}]


def configured() -> dict:
    config = local_config()
    config["models"] = {
        "providers": {
            "local": {
                "baseUrl": "http://127.0.0.1:9/v1",
                "models": [
                    {"id": "qwen3-8b", "name": "Qwen3 8B", "contextWindow": 32768, "reasoning": True},
                    {"id": "tiny", "name": "Tiny"},
                ],
            }
        }
    }
    config["agents"] = {
        "defaults": {"model": "local/qwen3-8b", "models": {"local/tiny": {"alias": "small"}}},
        "entries": {
            "main": {"name": "Main", "identity": {"name": "Claw", "emoji": "🦞", "theme": ""}},
            "work": {
                "workspace": "/srv/work",
                "model": {"primary": "local/tiny", "fallbacks": ["anthropic/claude-x"]},
            },
        },
    }
    return config


@pytest.fixture
def gateway_config() -> dict:
    return configured()


@pytest_twisted.ensureDeferred
async def test_agents_list_names_each_configured_agent(gateway, environ):
    client = await gateway.connect(scopes=["operator.read"])
    answer = await client.call("agents.list", {})
    assert (answer["defaultId"], answer["mainKey"], answer["scope"]) == ("main", "main", "per-sender")
    main, work = answer["agents"]
    assert main == {
        "id": "main",
        "kind": "agent",
        "name": "Main",
        "identity": {"name": "Claw", "emoji": "🦞"},  # the empty theme is not shown
        "workspace": f"{environ['OPENCLAW_STATE_DIR']}/workspace",
        "model": {"primary": "local/qwen3-8b"},
        "thinkingLevels": OFF,
        "thinkingOptions": ["off"],
        "thinkingDefault": "off",
    }
    assert work["workspace"] == "/srv/work" and "name" not in work and "identity" not in work
    assert work["model"] == {"primary": "local/tiny", "fallbacks": ["anthropic/claude-x"]}


@pytest_twisted.ensureDeferred
async def test_identity_comes_from_config_or_defaults(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    assert await client.call("agent.identity.get", {}) == {
        "agentId": "main", "name": "Claw", "nameSource": "config", "avatar": "C", "emoji": "🦞",
    }
    # the agent of a session key, and an agent without any name
    assert await client.call("agent.identity.get", {"sessionKey": "agent:work:main"}) == {
        "agentId": "work", "name": "Assistant", "nameSource": "default", "avatar": "A",
    }
    with pytest.raises(GatewayCallError) as caught:
        await client.call("agent.identity.get", {"agentId": "nobody"})
    assert caught.value.code == "INVALID_REQUEST" and caught.value.message == 'unknown agent id "nobody"'
    assert caught.value.details == {"code": "UNKNOWN_AGENT_ID", "agentId": "nobody"}


@pytest_twisted.ensureDeferred
async def test_models_list_shows_the_agents_plan_and_the_declared_models(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    rows = (await client.call("models.list", {"view": "configured", "sessionKey": "agent:main:main"}))["models"]
    assert rows == [
        {
            "id": "qwen3-8b", "name": "Qwen3 8B", "provider": "local", "tags": ["default"], "contextWindow": 32768,
            "reasoning": True, "thinkingLevels": OFF, "thinkingDefault": "off", "available": True,
        },
        {
            "id": "tiny", "name": "Tiny", "provider": "local", "alias": "small",
            "reasoning": False, "thinkingLevels": OFF, "thinkingDefault": "off", "available": True,
        },
        {
            # a hosted provider without a key in config or environment
            "id": "claude-x", "name": "claude-x", "provider": "anthropic", "reasoning": False,
            "thinkingLevels": OFF, "thinkingDefault": "off", "available": False, "unavailableReason": "missing-auth",
        },
    ]
    # for the agent "work", its own plan decides the tags
    work = (await client.call("models.list", {"agentId": "work"}))["models"]
    assert [(r["id"], r.get("tags")) for r in work] == [("qwen3-8b", None), ("tiny", ["default"]), ("claude-x", ["fallback"])]
    declared = (await client.call("models.list", {"view": "provider-config"}))["models"]
    assert [r["id"] for r in declared] == ["qwen3-8b", "tiny"]
    with pytest.raises(GatewayCallError) as caught:
        await client.call("models.list", {"view": "everything"})
    assert caught.value.code == "INVALID_REQUEST"


@pytest_twisted.ensureDeferred
async def test_a_model_ref_that_does_not_resolve_is_reported(reactor, environ):
    config = configured()
    config["agents"]["entries"]["main"]["model"] = "qwen"  # an alias nobody defined, no provider
    config["models"]["providers"]["other"] = {"baseUrl": "http://127.0.0.1:9/v1", "models": [{"id": "qwen"}]}
    config["models"]["providers"]["local"]["models"].append({"id": "qwen"})
    async with serving(start_gateway(reactor, environ, config), reactor) as gateway:
        client = await gateway.connect(scopes=["operator.read"])
        with pytest.raises(GatewayCallError) as caught:
            await client.call("models.list", {})
        assert caught.value.code == "UNAVAILABLE" and "ambiguous" in caught.value.message


@pytest_twisted.ensureDeferred
async def test_without_config_the_default_model_is_listed_unavailable(reactor, environ):
    async with serving(start_gateway(reactor, environ, local_config()), reactor) as gateway:
        client = await gateway.connect(scopes=["operator.read"])
        (row,) = (await client.call("models.list", {}))["models"]
        assert (row["provider"], row["id"], row["tags"], row["available"]) == ("anthropic", "claude-opus-4-6", ["default"], False)
        (agent,) = (await client.call("agents.list", {}))["agents"]
        assert agent["id"] == "main" and agent["model"] == {"primary": "anthropic/claude-opus-4-6"}


@pytest_twisted.ensureDeferred
async def test_a_key_in_the_environment_makes_a_hosted_model_available(reactor, environ):
    environ["ANTHROPIC_API_KEY"] = "sk-test-not-shown"
    async with serving(start_gateway(reactor, environ, local_config()), reactor) as gateway:
        client = await gateway.connect(scopes=["operator.read"])
        (row,) = (await client.call("models.list", {}))["models"]
        assert row["available"] is True and "unavailableReason" not in row
        assert "sk-test" not in repr(row)


@pytest_twisted.ensureDeferred
async def test_answers_follow_a_config_change_on_the_same_connection(gateway):
    client = await gateway.connect(scopes=["operator.admin"])
    base = (await client.call("config.get"))["hash"]
    patch = {"agents": {"entries": {"main": {"identity": {"name": "Crab"}}}}}
    await client.call("config.patch", {"raw": json.dumps(patch), "baseHash": base})
    await gateway.service.reload.settled()
    assert (await client.call("agent.identity.get", {}))["name"] == "Crab"
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_chat_metadata_offers_the_agents_models_and_our_commands(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    answer = await client.call("chat.metadata", {"sessionKey": "agent:work:main"})
    assert answer["models"] == (await client.call("models.list", {"agentId": "work"}))["models"]
    assert [c["textAliases"] for c in answer["commands"]] == [["/stop"]]
    assert (answer["swarmEnabled"], answer["runtimeSelectionLocked"]) == (False, False)
