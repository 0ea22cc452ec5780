"""C{openclaw config get|set|unset} as processes: local reads and validated, atomic writes."""

from __future__ import annotations

import json

import pytest_twisted

from tests.conftest import TOKEN


@pytest_twisted.ensureDeferred
async def test_get_prints_values_and_redacts_secrets(cli):
    result = await cli.run("config", "get", "gateway.port")
    assert (result.code, result.stdout) == (0, f"{cli.port}\n")
    gateway = (await cli.run("config", "get", "gateway", "--json")).json()
    assert gateway["auth"]["token"] == "__OPENCLAW_REDACTED__"
    assert TOKEN not in (await cli.run("config", "get", "gateway.auth.token")).stdout
    assert (await cli.run("config", "get", "gateway.mode")).stdout == "local\n"
    assert (await cli.run("config", "get", "gateway.mode", "--json")).stdout == '"local"\n'


@pytest_twisted.ensureDeferred
async def test_get_redacts_the_credential_surface_like_the_gateway(cli):
    header = "Bearer hdr-secret-123"
    assert (await cli.run("config", "set", "models.providers.o.headers.Authorization", header)).code == 0
    assert (await cli.run("config", "set", "tools.x.pass_phrase", "pp-secret-456")).code == 0
    shown = (await cli.run("config", "get", "models", "--json")).json()
    assert shown["providers"]["o"]["headers"] == {"Authorization": "__OPENCLAW_REDACTED__"}
    assert (await cli.run("config", "get", "tools.x.pass_phrase")).stdout == "__OPENCLAW_REDACTED__\n"


@pytest_twisted.ensureDeferred
async def test_get_missing_paths(cli):
    unset = await cli.run("config", "get", "gateway.bind")
    assert unset.code == 1 and unset.stdout == ""
    assert unset.stderr.startswith("Config path is valid but unset: gateway.bind.")
    unknown = await cli.run("config", "get", "gateway.nope")
    assert (unknown.code, unknown.stderr) == (1, "Unknown config path: gateway.nope.\n")
    bad = await cli.run("config", "get", "gateway..mode")
    assert (bad.code, bad.stderr) == (1, "Invalid path (empty segment): gateway..mode\n")


@pytest_twisted.ensureDeferred
async def test_set_and_unset_write_atomically_with_a_backup(cli):
    path = cli.install.configPath
    before = path.read_text()
    result = await cli.run("config", "set", "gateway.reload.mode", "off")
    assert (result.code, result.stdout) == (0, "Updated gateway.reload.mode. Restart the gateway to apply.\n")
    assert json.loads(path.read_text())["gateway"]["reload"] == {"mode": "off"}
    assert (path.parent / "openclaw.json.bak").read_text() == before

    assert (await cli.run("config", "set", "gateway.port", "19555")).code == 0
    assert json.loads(path.read_text())["gateway"]["port"] == 19555  # JSON5 value: a number

    removed = await cli.run("config", "unset", "gateway.reload")
    assert removed.stdout == "Removed gateway.reload. Restart the gateway to apply.\n"
    assert "reload" not in json.loads(path.read_text())["gateway"]
    again = await cli.run("config", "unset", "gateway.reload")
    assert again.code == 1 and again.stderr.startswith("Config path not found: gateway.reload. Nothing was changed.")


@pytest_twisted.ensureDeferred
async def test_invalid_values_change_nothing(cli):
    path = cli.install.configPath
    before = path.read_text()
    for args in (("gateway.port", "abc"), ("gateway.bogus", "1"), ("gateway.reload.mode", "sometimes")):
        result = await cli.run("config", "set", *args)
        assert result.code == 1, result
        assert result.stderr.startswith("Config validation failed: "), result.stderr
    assert path.read_text() == before
    strict = await cli.run("config", "set", "gateway.bind", "loopback", "--strict-json")
    assert (strict.code, strict.stderr) == (1, "Value is not valid JSON5: loopback\n")


@pytest_twisted.ensureDeferred
async def test_json5_comments_are_reported_before_they_are_lost(cli):
    cli.install.configPath.write_text(
        "{\n  // my gateway\n  gateway: {mode: 'local', auth: {token: '${MY_TOKEN}'}},\n}\n"
    )
    result = await cli.run("config", "set", "gateway.port", "19556")
    assert result.code == 0
    assert f"Config write will strip JSON5 comments from {cli.install.configPath}." in result.stderr
    written = json.loads(cli.install.configPath.read_text())
    # The variable reference is kept as written: the gateway's environment fills it in.
    assert written["gateway"] == {"mode": "local", "auth": {"token": "${MY_TOKEN}"}, "port": 19556}
    broken = await cli.run("config", "get", "gateway.port", env={})
    assert broken.stdout == "19556\n"


@pytest_twisted.ensureDeferred
async def test_a_running_gateway_keeps_serving_what_it_loaded(cli):
    cli.install.local(port=cli.port, reload={"mode": "off"})  # no watcher racing the health call
    await cli.gateway()
    assert (await cli.run("config", "set", "gateway.port", "1")).code == 0
    # Edits apply on restart: the running gateway is still where it was.
    assert (await cli.run("health", "--port", str(cli.port))).code == 0
