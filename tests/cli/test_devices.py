"""
C{openclaw devices}: the rendering as pure functions, and the commands as real
processes against a real gateway, with a remote device (behind a trusted proxy)
asking to be paired.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected, open_socket
from openclaw.cli.output import Style
from openclaw.cli.devices import approval_kind, approval_scopes, format_ago, render_list
from tests.cli.conftest import TOKEN
from tests.support.device_keys import DeviceKey, device_params

NOW = 1_795_486_300_000
PENDING = {
    "requestId": "e85f219b-ce5c-4702-908c-fea47de14547", "deviceId": "32f0" * 16, "publicKey": "diAM",
    "platform": "linux", "deviceFamily": "Linux", "clientId": "cli", "clientMode": "cli", "role": "operator",
    "roles": ["operator"], "scopes": ["operator.read"], "remoteIp": "203.0.113.6", "silent": False,
    "isRepair": False, "ts": NOW - 20_000,
}
PAIRED = {
    "deviceId": "443d" * 16, "publicKey": "XAfU", "platform": "linux", "clientId": "cli", "clientMode": "cli",
    "role": "operator", "roles": ["operator"], "scopes": ["operator.admin", "operator.read"], "approvedVia": "silent",
    "createdAtMs": NOW, "approvedAtMs": NOW, "connected": False,
    "tokens": [{"role": "operator", "scopes": ["operator.admin", "operator.read"], "createdAtMs": NOW}],
}


def test_render_list_tables():
    lines = render_list({"pending": [PENDING], "paired": [PAIRED]}, Style(environ={"NO_COLOR": "1"}), NOW)
    text = "\n".join(lines)
    assert lines[0] == "Pending (1)"
    assert PENDING["requestId"] in text and "203.0.113.6" in text and "just now" in text
    assert "roles: operator; scopes: operator.read" in text and "│ new " in text  # the status column wraps
    assert "Paired (1)" in lines
    assert "Full device IDs" in lines and f"  {PAIRED['deviceId']}  cli" in lines
    assert "operator.admin, operator.read" in text


def test_render_empty_list():
    assert render_list({"pending": [], "paired": []}, Style(environ={"NO_COLOR": "1"}), NOW) == ["No device pairing entries."]


@pytest.mark.parametrize(
    "ms, shown", [(29_000, "just now"), (5 * 60_000, "5m ago"), (3 * 3_600_000, "3h ago"), (72 * 3_600_000, "3d ago")]
)
def test_format_ago(ms, shown):
    assert format_ago(ms) == shown


def test_approval_kind_and_scopes():
    paired = {**PAIRED, "deviceId": PENDING["deviceId"], "scopes": ["operator.read"]}
    assert approval_kind(PENDING, None) == "new pairing"
    assert approval_kind(PENDING, paired) == "re-approval"
    assert approval_kind({**PENDING, "scopes": ["operator.write"]}, paired) == "scope upgrade"
    assert approval_kind({**PENDING, "role": "node", "roles": ["node"]}, paired) == "role upgrade"
    # the real CLI approves a read request with pairing+read, and escalates to admin for admin
    assert approval_scopes(PENDING) == ["operator.pairing", "operator.read"]
    assert approval_scopes({**PENDING, "scopes": ["operator.admin"]}) == ["operator.admin"]
    # a scope the CLI's own device is not approved for cannot be asked for: admin covers it
    assert approval_scopes({**PENDING, "scopes": ["operator.sessions.read"]}) == ["operator.admin"]
    assert approval_scopes({**PENDING, "scopes": ["operator.approvals"]}) == ["operator.pairing", "operator.approvals"]
    assert approval_scopes({**PENDING, "role": "node", "roles": ["node"], "scopes": []}) == ["operator.admin"]


async def ask_to_pair(reactor, port: int) -> tuple[DeviceKey, str]:
    """A remote device (behind the trusted local proxy) connects and is told to wait."""
    key = DeviceKey()
    client, connected = open_socket(
        reactor, f"ws://127.0.0.1:{port}", lambda ch: device_params(key, ch, auth={"token": TOKEN}),
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    await connected
    with pytest.raises(ConnectRejected) as caught:
        await client.ready
    return key, caught.value.details["requestId"]


@pytest_twisted.ensureDeferred
async def test_devices_commands_against_a_gateway(cli, reactor):
    cli.install.local(port=cli.port, trustedProxies=["127.0.0.1"])
    port = await cli.gateway()

    empty = await cli.run("devices", "list")
    assert (empty.code, empty.stdout) == (0, "No device pairing entries.\n")

    key, requestId = await ask_to_pair(reactor, port)
    listed = await cli.run("devices", "list", "--json")
    assert listed.code == 0, listed.stderr
    (pending,) = listed.json()["pending"]
    assert (pending["requestId"], pending["deviceId"], pending["remoteIp"]) == (requestId, key.id, "203.0.113.9")
    human = await cli.run("devices", "list")
    assert human.lines[0] == "Pending (1)" and requestId in human.stdout

    latest = await cli.run("devices", "approve")
    assert latest.code == 1
    assert f"Selected pending device request {requestId}" in latest.stdout
    assert f"Approve this exact request with: openclaw devices approve {requestId}" in latest.stderr

    approved = await cli.run("devices", "approve", requestId)
    assert (approved.code, approved.stdout) == (0, f"Approved {key.id} ({requestId})\n"), approved.stderr
    paired = (await cli.run("devices", "list", "--json")).json()
    assert paired["pending"] == [] and [d["deviceId"] for d in paired["paired"]] == [key.id]

    again = await cli.run("devices", "approve", requestId)
    assert again.code == 1
    assert again.stderr == (
        f"No pending device request matches {requestId}. Run openclaw devices list and retry with the current request ID.\n"
    )

    removed = await cli.run("devices", "remove", key.id)
    assert (removed.code, removed.stdout) == (0, f"Removed {key.id}\n")
    gone = await cli.run("devices", "remove", key.id, "--json")
    assert gone.code == 1 and gone.json()["error"]["message"] == "device.pair.remove failed: unknown deviceId"


@pytest_twisted.ensureDeferred
async def test_devices_reject_and_usage(cli, reactor):
    cli.install.local(port=cli.port, trustedProxies=["127.0.0.1"])
    port = await cli.gateway()
    key, requestId = await ask_to_pair(reactor, port)
    rejected = await cli.run("devices", "reject", requestId, "--json")
    assert rejected.code == 0 and rejected.json() == {"requestId": requestId, "deviceId": key.id}
    assert (await cli.run("devices", "list", "--json")).json() == {"pending": [], "paired": []}
    usage = await cli.run("devices")
    assert usage.code == 1 and usage.stdout.startswith("Usage: openclaw devices <command>")
    unknown = await cli.run("devices", "frobnicate")
    assert unknown.code == 1 and "unknown command 'devices frobnicate'" in unknown.stderr
