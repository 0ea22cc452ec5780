"""
The real, unmodified OpenClaw CLI (npm C{openclaw@2026.9.6} on Node 24) against our
gateway: every command exits 0 and prints what OUR gateway answered.

Where a check needs a line that only our gateway can have written, the test makes
the gateway write it first (a failed call with a unique method name is logged by the
WS log with that name), so the assertion cannot be met by the CLI's own defaults.
"""

from __future__ import annotations

import json
import uuid

import pytest
import pytest_twisted

from openclaw import VERSION
from openclaw.cli.client import ConnectRejected, GatewayCallError, connect, open_socket
from tests.conftest import TOKEN
from tests.support.device_keys import DeviceKey, device_params


def ok(child) -> str:
    assert child.exitCode == 0, child.describe()
    return child.stdout


def flat(text: str) -> str:
    """Boxed, wrapped CLI output as one line of words (the doctor wraps its notes)."""
    return " ".join(text.replace("│", " ").split())


async def gateway_logs_marker(interop) -> str:
    """Make our gateway log a line with a unique marker (a failed call is always logged)."""
    marker = f"interop.marker.{uuid.uuid4().hex[:12]}"
    client = await connect(interop.reactor, interop.url, token=TOKEN, scopes=["operator.admin"])
    try:
        with pytest.raises(GatewayCallError):
            await client.call(marker)
    finally:
        await client.close()
    return marker


async def remote_pairing_request(interop, key: DeviceKey) -> str:
    """A device connecting through the trusted loopback proxy for a remote peer: a pending request."""
    client, connected = open_socket(
        interop.reactor,
        interop.url,
        lambda challenge: device_params(key, challenge, auth={"token": TOKEN}),
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    await connected
    with pytest.raises(ConnectRejected) as caught:
        await client.ready
    assert caught.value.details["code"] == "PAIRING_REQUIRED", caught.value.details
    return caught.value.details["requestId"]


# gateway reachability ------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_gateway_status_probe_is_ok(interop):
    out = ok(await interop.run("gateway", "status"))
    assert f"Probe target: {interop.url}" in out
    assert "Connectivity probe: ok" in out
    # the probe client gets no scopes from our gateway, as from the reference
    assert "Capability: connected-no-operator-scope" in out


@pytest_twisted.ensureDeferred
async def test_gateway_status_require_rpc_reads_our_version(interop):
    out = ok(await interop.run("gateway", "status", "--require-rpc"))
    assert "Read probe: ok" in out
    assert f"Gateway version: {VERSION}" in out


@pytest_twisted.ensureDeferred
async def test_gateway_probe(interop):
    out = ok(await interop.run("gateway", "probe"))
    assert "Reachable: yes" in out
    assert f"Local loopback {interop.url}" in out
    assert "Connect: ok" in out


# status and health ---------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_status(interop):
    out = ok(await interop.run("status"))
    gateway_row = next(line for line in out.splitlines() if "│ Gateway " in line)
    assert f"{interop.url} (local loopback) · reachable" in gateway_row
    assert f"http://127.0.0.1:{interop.port}/" in out


@pytest_twisted.ensureDeferred
async def test_status_json_is_our_status(interop):
    status = json.loads(ok(await interop.run("status", "--json")))
    assert status["runtimeVersion"] == VERSION
    assert status["pid"] == interop.gateway.pid
    assert status["heartbeat"]["defaultAgentId"] == "main"


@pytest_twisted.ensureDeferred
async def test_health(interop):
    out = ok(await interop.run("health"))
    store = interop.install.stateDir / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    assert f"Session store (main): {store}" in out
    assert "Agents: main (default)" in out


@pytest_twisted.ensureDeferred
async def test_health_json_is_our_snapshot(interop):
    health = json.loads(ok(await interop.run("health", "--json")))
    assert health["ok"] is True and health["defaultAgentId"] == "main"
    assert health["sessions"]["path"].startswith(str(interop.install.stateDir))
    assert set(health["eventLoop"]) >= {"degraded", "delayP99Ms", "utilization"}


# logs ----------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_logs_limit_shows_our_gateway_log(interop):
    marker = await gateway_logs_marker(interop)
    out = ok(await interop.run("logs", "--limit", "20"))
    assert out.splitlines()[0] == f"Log file: {interop.install.logFile}"
    assert any(marker in line and "gateway/ws" in line for line in out.splitlines())


@pytest_twisted.ensureDeferred
async def test_logs_json(interop):
    marker = await gateway_logs_marker(interop)
    out = ok(await interop.run("logs", "--json", "--limit", "20"))
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert records[0]["type"] == "meta" and records[0]["file"] == str(interop.install.logFile)
    (ours,) = [r for r in records if r["type"] == "log" and marker in r["message"]]
    assert ours["subsystem"] == "gateway/ws" and ours["level"] == "info"


@pytest_twisted.ensureDeferred
async def test_logs_follow_shows_new_lines(interop):
    follow = interop.start("logs", "--follow")
    try:
        await follow.line(r"^Log file: ", "stdout", timeout=60)
        marker = await gateway_logs_marker(interop)
        line = await follow.line(marker, "stdout", timeout=60)
        assert "gateway/ws" in line.string
    finally:
        follow.signal("INT")
        await follow.exited(timeout=30)


# channels, secrets, doctor --------------------------------------------------------


@pytest.mark.parametrize("probe", [(), ("--probe",)], ids=["plain", "probe"])
@pytest_twisted.ensureDeferred
async def test_channels_status(interop, probe):
    out = ok(await interop.run("channels", "status", *probe))
    assert "Gateway reachable." in out
    assert "no configured chat channels" in out


@pytest_twisted.ensureDeferred
async def test_secrets_reload(interop):
    assert "Secrets reloaded." in ok(await interop.run("secrets", "reload"))


@pytest_twisted.ensureDeferred
async def test_doctor_non_interactive(interop):
    out = ok(await interop.run("doctor", "--non-interactive", timeout=240))
    assert "Doctor complete." in out
    # our doctor.memory.status answer, as the real doctor words it
    assert "Gateway memory probe for default agent is not ready: memory search unavailable" in flat(out), out


# devices --------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_devices_list_and_approve(interop):
    key = DeviceKey()
    requestId = await remote_pairing_request(interop, key)

    listed = ok(await interop.run("devices", "list"))
    assert "Pending (1)" in listed
    pendingRow = next(line for line in listed.splitlines() if requestId in line)
    assert "new pairing" in pendingRow and key.id[:14] in pendingRow
    assert "203.0.113.9" in listed

    approved = ok(await interop.run("devices", "approve", requestId))
    assert f"Approved {key.id} ({requestId})" in approved

    admin = await connect(interop.reactor, interop.url, token=TOKEN, scopes=["operator.pairing"])
    try:
        listing = await admin.call("device.pair.list")
    finally:
        await admin.close()
    assert [p["requestId"] for p in listing["pending"]] == []
    (device,) = [d for d in listing["paired"] if d["deviceId"] == key.id]
    assert device["approvedVia"] == "owner" and device["remoteIp"] == "203.0.113.9"
