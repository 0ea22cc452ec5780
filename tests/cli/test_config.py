"""C{openclaw config get|set|unset} as processes: local reads and validated, atomic writes."""

from __future__ import annotations

import json
import re

import pytest_twisted

from tests.conftest import TOKEN

NOT_RUNNING = "No gateway is running; it applies when the gateway starts."


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
    assert (await cli.run("config", "set", "models.providers.o.baseUrl", "http://127.0.0.1:9/v1")).code == 0
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
    assert (result.code, result.stdout) == (0, f"Updated gateway.reload.mode. {NOT_RUNNING}\n")
    assert json.loads(path.read_text())["gateway"]["reload"] == {"mode": "off"}
    assert (path.parent / "openclaw.json.bak").read_text() == before

    assert (await cli.run("config", "set", "gateway.port", "19555")).code == 0
    assert json.loads(path.read_text())["gateway"]["port"] == 19555  # JSON5 value: a number
    same = await cli.run("config", "set", "gateway.port", "19555")
    assert same.stdout == "Updated gateway.port. The value is unchanged; nothing to apply.\n"

    removed = await cli.run("config", "unset", "gateway.reload")
    assert removed.stdout == f"Removed gateway.reload. {NOT_RUNNING}\n"
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
    # the edit is checked as a gateway started from this shell would load it
    missing = await cli.run("config", "set", "gateway.port", "19556")
    assert missing.stderr.endswith("\nConfig validation failed: gateway.auth.token: missing environment variable MY_TOKEN\n")
    result = await cli.run("config", "set", "gateway.port", "19556", env={"MY_TOKEN": TOKEN})
    assert result.code == 0
    assert f"Config write will strip JSON5 comments from {cli.install.configPath}." in result.stderr
    written = json.loads(cli.install.configPath.read_text())
    # The variable reference is kept as written: the gateway's environment fills it in.
    assert written["gateway"] == {"mode": "local", "auth": {"token": "${MY_TOKEN}"}, "port": 19556}
    broken = await cli.run("config", "get", "gateway.port", env={})
    assert broken.stdout == "19556\n"


@pytest_twisted.ensureDeferred
async def test_an_edit_a_gateway_would_refuse_at_reload_is_refused_with_its_words(cli):
    await cli.gateway()
    path = cli.install.configPath
    before = path.read_text()
    for args in (
        ("gateway.mode", "remote"),  # the mode guard
        ("gateway.auth.token", '{source: "env", provider: "default", id: "NOT_SET_ANYWHERE"}'),  # a SecretRef
    ):
        refused = await cli.run("config", "set", *args)
        assert refused.code == 1 and path.read_text() == before, refused
        issue = refused.stderr.removeprefix("Config validation failed: ").rstrip("\n")
        assert issue != refused.stderr and "\n" not in issue
        # the same edit saved by hand: the running gateway refuses it in the same words
        mark = cli.child.mark()
        path.write_text(json.dumps(_with(json.loads(before), *args)))
        await cli.child.line(r"config reload skipped \(invalid config\): " + re.escape(issue) + "$", "stdout", since=mark)
        path.write_text(before)


def _with(config: dict, dotted: str, value: str) -> dict:
    from openclaw.config.edit import parse_path, parse_value, set_path

    return set_path(config, parse_path(dotted), parse_value(value))


@pytest_twisted.ensureDeferred
async def test_exec_secret_providers_are_checked_but_not_run(cli, tmp_path):
    marker = tmp_path / "ran"
    script = tmp_path / "provider.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho '{{\"protocolVersion\": 1, \"values\": {{\"tok\": \"x\"}}}}'\n")
    script.chmod(0o700)
    provider = json.dumps({"source": "exec", "command": str(script)})
    assert (await cli.run("config", "set", "secrets.providers.vault", provider)).code == 0
    ref = json.dumps({"source": "exec", "provider": "vault", "id": "tok"})
    assert (await cli.run("config", "set", "gateway.remote.token", ref)).code == 0  # inactive: not even checked
    assert (await cli.run("config", "set", "gateway.auth.token", ref)).code == 0
    assert not marker.exists()
    missing = json.dumps({"source": "exec", "command": str(tmp_path / "nope")})
    refused = await cli.run("config", "set", "secrets.providers.vault", missing)
    assert refused.code == 1 and "exec provider" in refused.stderr and "vault" in refused.stderr


@pytest_twisted.ensureDeferred
async def test_set_says_what_the_running_gateway_does(cli, ports):
    port = await cli.gateway()
    hot = await cli.run("config", "set", "gateway.auth.rateLimit.maxAttempts", "5")
    assert hot.stdout == "Updated gateway.auth.rateLimit.maxAttempts. The running gateway applies it without a restart.\n"
    await cli.child.line(r"config hot reload applied \(gateway\.auth\.rateLimit\)", "stdout")
    assert (await cli.run("health", "--port", str(port))).code == 0

    newPort = ports.reserve()
    moved = await cli.run("config", "set", "gateway.port", str(newPort))
    assert moved.stdout == "Updated gateway.port. The running gateway restarts to apply it (gateway.port).\n"
    await cli.child.line(rf"gateway restarted on ws://127\.0\.0\.1:{newPort}", "stdout")
    assert (await cli.run("health", "--port", str(newPort))).code == 0

    assert (await cli.run("config", "set", "gateway.reload.mode", "hot")).code == 0
    manual = await cli.run("config", "set", "gateway.port", str(port))
    assert manual.stdout == "Updated gateway.port. Restart the gateway to apply it (gateway.port; gateway.reload.mode is hot).\n"
