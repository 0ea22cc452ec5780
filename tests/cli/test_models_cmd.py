"""
`openclaw models list|status` as real processes: the list from a running `openclaw
gateway` process (and, with none listening, the same rows from the local config),
the status from the local config, with every key's source and never a key.
"""

from __future__ import annotations

import pytest_twisted

from tests.agents.runs.conftest import MODEL, run_config
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.cli.test_agent_cmd import gateway_config, start_gateway

ANTHROPIC_KEY = "sk-ant-test-never-printed-0123456789"


@pytest_twisted.ensureDeferred
async def test_list_shows_the_models_the_gateway_offers(cli, upstream):
    await start_gateway(cli, upstream)
    result = await cli.run("models", "list")
    assert result.code == 0, result.stderr
    assert result.lines[0] == "Model                                      Input      Ctx         Local Auth  Tags"
    assert result.lines[1].split() == ["fakeup/fake-model", "-", "-", "-", "yes", "default,alias:fast"]
    assert result.lines[1].index("yes") == 72  # OpenClaw's column widths
    assert result.lines[2].split() == ["fakeup/backup-model", "-", "-", "-", "yes"]

    document = (await cli.run("models", "list", "--json")).json()
    assert document["count"] == 2
    assert document["models"][0] == {
        "key": MODEL, "name": "fake-model", "input": "-", "contextWindow": None, "local": None, "available": True,
        "tags": ["default", "alias:fast"],
    }
    plain = await cli.run("models", "list", "--plain")
    assert plain.stdout == "fakeup/fake-model\nfakeup/backup-model\n"
    none = await cli.run("models", "list", "--provider", "openai", "--plain")
    assert (none.code, none.stdout) == (0, "")
    empty = await cli.run("models", "list", "--provider", "openai")
    assert empty.stdout == "No models found.\n"
    bad = await cli.run("models", "list", "--provider", "Open AI")
    assert bad.code == 1 and 'Invalid provider filter "Open AI"' in bad.stderr
    unknown = await cli.run("models", "list", "--agent", "nobody", "--json")
    assert unknown.code == 1
    assert unknown.json()["error"]["message"] == 'models.list failed: unknown agent id "nobody"'


@pytest_twisted.ensureDeferred
async def test_list_without_a_gateway_reads_the_local_config_the_same_way(cli, upstream):
    config = gateway_config(cli, upstream)
    config["models"]["providers"]["fakeup"]["models"][0]["contextWindow"] = 128000
    cli.install.write_config(config)
    await cli.gateway()
    served = await cli.run("models", "list", "--json")
    await cli.launcher.stop(cli.child)
    local = await cli.run("models", "list", "--json")
    assert local.code == 0, local.stderr
    assert local.stderr == "Gateway is not running. Showing the models of the local config.\n"
    assert local.json() == served.json()
    assert local.json()["models"][0]["contextWindow"] == 128000
    text = await cli.run("models", "list")
    assert text.lines[1].split()[:3] == ["fakeup/fake-model", "-", "128k"]


@pytest_twisted.ensureDeferred
async def test_status_shows_the_choice_and_where_keys_come_from(cli, upstream):
    config = run_config(upstream.base)
    config["agents"]["defaults"] = {
        "model": {"primary": "fast", "fallbacks": ["anthropic/claude-sonnet-4-5", "openai/gpt-5"]},
        "models": {MODEL: {"alias": "fast"}, "openai/gpt-5": {}},
    }
    config["agents"]["entries"] = {"main": {"default": True}, "strict": {"model": "fakeup/backup-model"}}
    cli.install.write_config(config)

    result = await cli.run("models", "status", env={"OPENAI_API_KEY": "sk-openai-never-printed-0123456789"})
    assert result.code == 0, result.stderr
    assert result.lines == [
        f"Config        : {cli.install.configPath}",
        "Agent         : main",
        "Default       : fakeup/fake-model",
        "Fallbacks (2) : anthropic/claude-sonnet-4-5, openai/gpt-5",
        "Aliases (1)   : fast -> fakeup/fake-model",
        "Allowed models (2): fakeup/fake-model, openai/gpt-5",
        "",
        "Auth overview",
        "- fakeup effective=config:models.providers.fakeup.apiKey",
        "- anthropic effective=missing:ANTHROPIC_API_KEY",
        "- openai effective=env:OPENAI_API_KEY",
        "Missing auth for providers in use: anthropic",
    ]
    assert "never-printed" not in result.stdout + result.stderr
    check = await cli.run("models", "status", "--check")
    assert check.code == 1

    env = {"OPENAI_API_KEY": "sk-openai-never-printed-0123456789", "ANTHROPIC_API_KEY": ANTHROPIC_KEY}
    document = (await cli.run("models", "--json", env=env)).json()  # plain `models` is the status
    assert (document["defaultModel"], document["resolvedDefault"]) == ("fast", MODEL)
    assert document["auth"]["missingProvidersInUse"] == []
    assert {p["provider"]: p["effective"]["kind"] for p in document["auth"]["providers"]} == {
        "fakeup": "config", "anthropic": "env", "openai": "env"}
    assert (await cli.run("models", "status", "--check", env=env)).code == 0

    strict = (await cli.run("models", "status", "--agent", "strict", "--json")).json()
    assert (strict["agentId"], strict["resolvedDefault"], strict["fallbacks"]) == ("strict", "fakeup/backup-model", [])
    plain = await cli.run("models", "status", "--agent", "strict", "--plain")
    assert plain.stdout == "fakeup/backup-model\n"
    unknown = await cli.run("models", "status", "--agent", "nobody")
    assert unknown.code == 1 and unknown.stderr == 'unknown agent id "nobody"\n'


@pytest_twisted.ensureDeferred
async def test_an_invalid_config_is_reported(cli):
    cli.install.write_config({"gateway": {"mode": "local"}, "models": {"mode": "sometimes"}})
    result = await cli.run("models", "status")
    assert result.code == 1 and "models.mode" in result.stderr
    usage = await cli.run("models", "frobnicate")
    assert usage.code == 1 and "unknown command 'models frobnicate'" in usage.stderr
