"""
C{health}, C{status}, C{gateway status} and C{gateway probe} as processes,
against a running gateway and against none.
"""

from __future__ import annotations

import json
import re

import pytest_twisted

from tests.conftest import TOKEN


@pytest_twisted.ensureDeferred
async def test_health_renders_the_snapshot(cli):
    await cli.gateway()
    result = await cli.run("health")
    assert result.code == 0, result
    assert re.match(r"Gateway event loop: (ok|degraded)", result.lines[0])
    assert "Agents: main (default)" in result.lines
    assert any(line.startswith("Gateway probe duration: ") for line in result.lines)

    verbose = await cli.run("health", "--verbose")
    assert f"  Gateway target: ws://127.0.0.1:{cli.port}" in verbose.lines
    assert "  Source: local loopback" in verbose.lines

    document = (await cli.run("health", "--json")).json()
    assert document["ok"] is True and document["defaultAgentId"] == "main"


@pytest_twisted.ensureDeferred
async def test_health_fails_fast_without_a_gateway(cli):
    result = await cli.run("health")
    assert result.code == 1
    assert result.stdout == ""
    assert f"gateway connect failed: connect ECONNREFUSED 127.0.0.1:{cli.port}" in result.stderr
    assert "Run openclaw gateway status --deep to diagnose." in result.stderr

    failed = await cli.run("health", "--json")
    assert failed.code == 1
    error = failed.json()["error"]
    assert error["type"] == "gateway_transport_error" and error["kind"] == "refused"


@pytest_twisted.ensureDeferred
async def test_health_rejected_credentials_exit_1(cli):
    await cli.gateway()
    result = await cli.run("health", "--json", env={"OPENCLAW_GATEWAY_TOKEN": "x"}, timeout=30)
    assert result.code == 0  # the config's token wins over the environment in local mode
    wrong = await cli.run("health", "--url", f"ws://127.0.0.1:{cli.port}", "--token", "wrong-token")
    assert wrong.code == 1
    assert "unauthorized: gateway token mismatch" in wrong.stderr
    assert "wrong-token" not in wrong.stderr


@pytest_twisted.ensureDeferred
async def test_url_needs_explicit_credentials(cli):
    result = await cli.run("health", "--url", "ws://127.0.0.1:1", "--json")
    assert result.code == 1
    assert result.json()["error"]["message"].startswith("gateway url override requires explicit credentials")


@pytest_twisted.ensureDeferred
async def test_gateway_status_running(cli):
    port = await cli.gateway()
    result = await cli.run("gateway", "status")
    assert result.code == 0, result
    lines = result.lines
    assert f"Config (cli): {cli.install.configPath}" in lines
    assert f"Gateway: bind=loopback (127.0.0.1), port={port} (env/config)" in lines
    assert f"Probe target: ws://127.0.0.1:{port}" in lines
    assert f"Dashboard: http://127.0.0.1:{port}/" in lines
    assert "RPC probe: ok" in lines
    assert "Capability: admin-capable" in lines
    assert any(line.startswith("Listening: ") and f"127.0.0.1:{port}" in line for line in lines)
    assert lines[-2:] == ["Troubles: run openclaw status", "Troubleshooting: https://docs.openclaw.ai/troubleshooting"]
    assert f"File logs: {cli.install.logFile}" in lines

    document = (await cli.run("gateway", "status", "--json", "--require-rpc")).json()
    assert document["rpc"]["ok"] is True and document["rpc"]["url"] == f"ws://127.0.0.1:{port}"
    assert document["gateway"]["port"] == port
    assert document["config"]["cli"]["path"] == str(cli.install.configPath)
    assert document["logFile"] == str(cli.install.logFile)
    assert document["service"]["runtime"]["status"] in ("running", "stopped", "unknown")


@pytest_twisted.ensureDeferred
async def test_gateway_status_probes_with_the_credentials_openclaw_probes_with(cli):
    # The local gateway's secret is named only by gateway.remote.token (the gateway got it as
    # --token): calls fall back to it, the probe does not, as in OpenClaw's CLI.
    off = {"mode": "off"}  # the second config below is for the CLI only, not a reload
    cli.install.write_config({"gateway": {"mode": "local", "port": cli.port, "reload": off, "remote": {"token": TOKEN}}})
    await cli.gateway("--token", TOKEN)
    assert (await cli.run("health")).code == 0
    probe = await cli.run("gateway", "status", "--require-rpc")
    assert probe.code == 1 and "RPC probe: failed" in probe.lines
    # The environment may name it; a stale token there never shadows the config's own.
    assert "RPC probe: ok" in (await cli.run("gateway", "status", env={"OPENCLAW_GATEWAY_TOKEN": TOKEN})).lines
    cli.install.write_config({"gateway": {"mode": "local", "port": cli.port, "reload": off, "auth": {"token": TOKEN}}})
    stale = await cli.run("gateway", "status", "--require-rpc", env={"OPENCLAW_GATEWAY_TOKEN": "wrong"})
    assert stale.code == 0 and "RPC probe: ok" in stale.lines


@pytest_twisted.ensureDeferred
async def test_gateway_status_stopped(cli):
    result = await cli.run("gateway", "status")
    assert result.code == 0
    assert "RPC probe: failed" in result.lines
    assert f"Probe target: ws://127.0.0.1:{cli.port}" in result.stderr

    required = await cli.run("gateway", "status", "--require-rpc", "--json")
    assert required.code == 1 and required.json()["rpc"]["ok"] is False

    refused = await cli.run("gateway", "status", "--require-rpc", "--no-probe")
    assert refused.code == 1
    assert refused.stderr.strip() == (
        "Gateway status failed: --require-rpc needs probing enabled. Remove --no-probe or drop --require-rpc."
    )


@pytest_twisted.ensureDeferred
async def test_gateway_status_with_a_broken_config(cli):
    cli.install.configPath.write_text("{gateway: {mode: 'local', port: 'nope'")
    result = await cli.run("gateway", "status", "--no-probe")
    assert result.code == 0, result
    assert f"Config (cli): {cli.install.configPath} (invalid)" in result.lines


@pytest_twisted.ensureDeferred
async def test_gateway_status_shortens_paths_against_the_openclaw_home(cli):
    home = cli.install.configPath.parent
    result = await cli.run("gateway", "status", "--no-probe", env={"OPENCLAW_HOME": str(home)})
    assert result.code == 0, result
    assert f"Config (cli): ~/{cli.install.configPath.name}" in result.lines


@pytest_twisted.ensureDeferred
async def test_status_overview_up_and_down(cli):
    port = await cli.gateway()
    up = await cli.run("status")
    assert up.code == 0, up
    row = next(line for line in up.lines if "│ Gateway " in line)
    assert re.search(rf"local · ws://127\.0\.0\.1:{port} \(local loopback\) · reachable \d+ms · auth token", row)
    assert "No channels configured" in up.lines

    document = (await cli.run("status", "--json")).json()
    assert document["gateway"]["reachable"] is True
    assert document["status"]["runtimeVersion"]

    cli.child.signal("TERM")
    await cli.child.exited()
    down = await cli.run("status", "--json")
    assert down.code == 0
    gateway = down.json()["gateway"]
    assert gateway["reachable"] is False and "ECONNREFUSED" in gateway["error"]
    human = await cli.run("status")
    assert "  Diagnose and repair:   openclaw doctor" in human.lines


@pytest_twisted.ensureDeferred
async def test_gateway_probe(cli):
    port = await cli.gateway()
    result = await cli.run("gateway", "probe", "--json")
    assert result.code == 0, result
    document = result.json()
    assert document["ok"] is True
    (target,) = document["targets"]
    assert target["id"] == "localLoopback" and target["url"] == f"ws://127.0.0.1:{port}"
    assert target["connect"]["ok"] is True
    assert not [w for w in document["warnings"] if w["code"] == "multiple_gateways"]

    human = await cli.run("gateway", "probe")
    assert "Reachable: yes" in human.lines
    assert f"Local loopback ws://127.0.0.1:{port}" in human.lines


@pytest_twisted.ensureDeferred
async def test_gateway_probe_warns_on_two_gateways(cli, launcher):
    await cli.gateway()
    other = launcher.install("other")
    other.local()
    child = launcher.openclaw(other, "gateway", "--port", "0", name="other")
    otherPort = await launcher.listening(child)
    result = await cli.run("gateway", "probe", "--url", f"ws://127.0.0.1:{otherPort}", "--token", TOKEN)
    assert result.code == 0, result
    assert "- multiple reachable gateway identities detected" in result.lines


@pytest_twisted.ensureDeferred
async def test_gateway_probe_nothing_reachable(cli):
    result = await cli.run("gateway", "probe")
    assert result.code == 1
    assert "Reachable: no" in result.lines


@pytest_twisted.ensureDeferred
async def test_gateway_call(cli):
    await cli.gateway()
    result = await cli.run("gateway", "call", "channels.start", "--params", '{"channel": "irc"}')
    assert result.code == 0, result
    assert json.loads(result.stdout)["outcome"] == {"status": "skipped", "reason": "channel not configured"}

    unknown = await cli.run("gateway", "call", "no.such.method", "--json")
    assert unknown.code == 1
    assert unknown.json()["error"] == {"type": "gateway_error", "message": "no.such.method failed: unknown method: no.such.method", "code": "INVALID_REQUEST"}

    bad = await cli.run("gateway", "call", "health", "--params", "{nope")
    assert bad.code == 1 and "--params is not valid JSON" in bad.stderr
