"""
C{openclaw doctor} as a process: the audit against a stopped and a running
gateway, the repairs of C{--fix} (with the backup), C{--non-interactive},
C{--generate-gateway-token} and the JSON report.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest_twisted

from openclaw.cli.doctor_checks import unknown_keys
from tests.conftest import TOKEN


def _finding(report, check):
    return [f for f in report["findings"] if f["check"] == check]


@pytest_twisted.ensureDeferred
async def test_healthy_install_with_a_running_gateway(cli):
    os.chmod(cli.install.stateDir, 0o700)
    os.chmod(cli.install.configPath, 0o600)
    await cli.gateway()
    result = await cli.run("doctor")
    assert result.code == 0, result
    assert result.lines[:2] == ["OpenClaw doctor", f"Config: {cli.install.configPath}"]
    assert f"OK    port: Port {cli.port}: this install's gateway (pid {cli.child.pid})." in result.lines
    assert any(l.startswith(f"OK    gateway: Gateway reachable at ws://127.0.0.1:{cli.port} (health ok") for l in result.lines)
    assert f"OK    logs: File log: {cli.install.logFile}" in result.lines
    assert not any(l.startswith(("WARN", "FAIL")) for l in result.lines), result.stdout
    assert "Run openclaw doctor --fix" not in result.stdout

    report = (await cli.run("doctor", "--json")).json()
    assert report["ok"] is True and report["pendingRepairs"] == 0 and report["changes"] == []


@pytest_twisted.ensureDeferred
async def test_gateway_that_refuses_our_token(cli):
    await cli.gateway()
    result = await cli.run("doctor", "--json", env={"OPENCLAW_GATEWAY_TOKEN": "x"}, timeout=30)
    assert _finding(result.json(), "gateway")[0]["level"] == "ok"  # config token wins locally
    wrong = (await cli.run("doctor", "--json", "--url", f"ws://127.0.0.1:{cli.port}", "--token", "wrong-0123456789")).json()
    gateway = _finding(wrong, "gateway")[0]
    assert gateway["level"] == "error" and "gateway token mismatch" in gateway["message"]
    assert wrong["ok"] is False
    assert "wrong-0123456789" not in json.dumps(wrong)


@pytest_twisted.ensureDeferred
async def test_stopped_gateway_and_a_config_that_needs_repairs(cli):
    config = cli.install.read_config()
    del config["gateway"]["mode"], config["gateway"]["auth"]
    config["gateway"]["reload"] = {"mode": "hot"}
    config["gateway"]["bogus"] = True
    cli.install.write_config(config, log=False)
    os.chmod(cli.install.stateDir, 0o700)
    os.chmod(cli.install.configPath, 0o644)
    before = cli.install.configPath.read_text()

    report = await cli.run("doctor")
    assert report.code == 0, report
    lines = report.lines
    assert "FAIL  gateway.mode: gateway.mode is unset: openclaw gateway refuses to start without it." in lines
    assert any(l.startswith("WARN  gateway.reload.mode:") for l in lines)
    assert "WARN  config: Unknown config keys: gateway.bogus." in lines
    assert any(l.startswith("WARN  auth: No gateway token configured") for l in lines)
    assert f"INFO  port: Port {cli.port} (gateway.port) is free: no gateway is running." in lines
    assert "Run openclaw doctor --fix to apply 5 repairs." in lines
    assert cli.install.configPath.read_text() == before  # a report changes nothing

    fixed = await cli.run("doctor", "--fix")
    assert fixed.code == 0, fixed
    changes = fixed.stdout.split("Changes:\n", 1)[1].splitlines()
    assert changes[:5] == [
        "- Remove unknown keys: gateway.bogus",
        '- Set gateway.mode to "local"',
        '- Set gateway.reload.mode to "hybrid" (was "hot")',
        "- Generate gateway.auth.token and save it in the config",
        f"- chmod 600 {cli.install.configPath}",
    ]
    assert f"Backup: {cli.install.configPath}.bak" in fixed.lines
    assert (cli.install.root / "state" / "openclaw.json.bak").read_text() == before
    written = json.loads(cli.install.configPath.read_text())
    assert written["gateway"]["mode"] == "local" and written["gateway"]["reload"]["mode"] == "hybrid"
    assert "bogus" not in written["gateway"] and len(written["gateway"]["auth"]["token"]) == 48
    assert written["gateway"]["auth"]["token"] not in fixed.stdout
    assert stat.S_IMODE(os.stat(cli.install.configPath).st_mode) == 0o600

    # What doctor wrote is what the gateway starts with.
    port = await cli.gateway()
    assert port == cli.port
    again = (await cli.run("doctor", "--json")).json()
    assert again["ok"] is True and _finding(again, "gateway")[0]["level"] == "ok"


@pytest_twisted.ensureDeferred
async def test_non_interactive_applies_only_safe_repairs(cli):
    config = cli.install.read_config()
    config["gateway"]["reload"] = {"mode": "restart"}
    del config["gateway"]["auth"]
    cli.install.write_config(config)
    result = await cli.run("doctor", "--non-interactive", "--json")
    report = result.json()
    assert report["changes"][0] == 'Set gateway.reload.mode to "hybrid" (was "restart")'
    assert cli.install.read_config()["gateway"]["reload"]["mode"] == "hybrid"
    assert "auth" not in cli.install.read_config()["gateway"]  # generating a token is not "safe"
    assert report["pendingRepairs"] >= 1


@pytest_twisted.ensureDeferred
async def test_generate_gateway_token(cli):
    config = cli.install.read_config()
    del config["gateway"]["auth"]
    cli.install.write_config(config)
    result = await cli.run("doctor", "--generate-gateway-token")
    assert "- Generate gateway.auth.token and save it in the config" in result.lines
    token = cli.install.read_config()["gateway"]["auth"]["token"]
    kept = await cli.run("doctor", "--generate-gateway-token", "--json")
    assert _finding(kept.json(), "auth")[0]["message"] == "Gateway token already configured; kept it."
    assert cli.install.read_config()["gateway"]["auth"]["token"] == token != TOKEN


@pytest_twisted.ensureDeferred
async def test_unreadable_config_is_reported_not_rewritten(cli):
    cli.install.configPath.write_text("{oops")
    result = await cli.run("doctor", "--fix")
    assert result.code == 0, result
    assert any(l.startswith("FAIL  config: ~") or l.startswith("FAIL  config: /") for l in result.lines)
    assert cli.install.configPath.read_text() == "{oops"


@pytest_twisted.ensureDeferred
async def test_service_definition_drift_is_reported(cli):
    from openclaw.services.identity import identify
    from openclaw.services.render import expected, render

    identity = identify(cli.install.env)
    definition, _ = expected(identity, cli.install.env, port=cli.port + 1)
    unit = Path(identity.path)
    unit.parent.mkdir(parents=True)
    unit.write_bytes(render(identity, definition))
    report = (await cli.run("doctor", "--json")).json()
    (service,) = _finding(report, "service")
    assert service["level"] == "warn"
    assert service["message"] == f"{identity.name} starts the gateway on port {cli.port + 1}, the config says {cli.port}"
    assert service["fix"] == "Rewrite/remove the drifted service definitions"
    assert report["pendingRepairs"] >= 1


def test_unknown_keys_walks_closed_sections_only():
    document = {"gateway": {"port": 1, "bogus": 2, "auth": {"x": 1}}, "channels": {"anything": {"goes": 1}}, "nope": 1}
    assert [list(p) for p in unknown_keys(document)] == [["gateway", "bogus"], ["gateway", "auth", "x"], ["nope"]]


def test_which_repairs_run():
    from openclaw.cli.doctor import DoctorOptions, _wanted
    from openclaw.cli.doctor_checks import Finding, Repair

    safe, unsafe, token = Repair("safe", safe=True), Repair("unsafe"), Repair("token")
    findings = [
        Finding("gateway.reload.mode", "warn", "x", safe),
        Finding("service", "warn", "y", unsafe),
        Finding("auth", "warn", "z", token),
        Finding("port", "ok", "free"),
    ]

    def chosen(*flags, ask=None):
        options = DoctorOptions({})
        options.parseOptions(list(flags))
        return _wanted(findings, options, ask)

    assert chosen() == []  # not a terminal: report only
    assert chosen("--fix") == chosen("--repair") == chosen("--yes") == [safe, unsafe, token]
    assert chosen("--non-interactive") == [safe]
    assert chosen("--non-interactive", "--generate-gateway-token") == [safe, token]
    asked = []
    assert chosen(ask=lambda r: asked.append(r) or r is unsafe) == [unsafe]
    assert asked == [safe, unsafe, token]


def test_prompt_defaults(monkeypatch):
    from openclaw.cli.doctor import _ask
    from openclaw.cli.doctor_checks import Repair

    answers = iter(["", "", "y", "no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert _ask(Repair("safe", safe=True)) is True  # Enter takes the default: yes for safe repairs
    assert _ask(Repair("unsafe")) is False  # ... and no for the others
    assert _ask(Repair("unsafe")) is True
    assert _ask(Repair("safe", safe=True)) is False

    def closed(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    assert _ask(Repair("safe", safe=True)) is False
