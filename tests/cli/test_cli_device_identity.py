"""
Our CLI signs with its device identity exactly when OpenClaw's does: for a
host name that is not literally loopback (and keeps the token it is issued);
it refuses plaintext ws:// to such a host unless told it is a private network.
"""

from __future__ import annotations

import json
import socket

import pytest
import pytest_twisted

from openclaw.cli import identity
from tests.conftest import TOKEN


def _loopback_name() -> str:
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        address = ""
    if not address.startswith("127.") or name in ("localhost",):
        pytest.skip(f"the host name {name!r} does not resolve to loopback here")
    return name


@pytest_twisted.ensureDeferred
async def test_named_host_gets_the_device_identity(cli):
    name = _loopback_name()
    port = await cli.gateway()
    url = f"ws://{name}:{port}"

    refused = await cli.run("health", "--url", url, "--token", TOKEN)
    assert refused.code == 1
    assert f"Refusing plaintext ws:// to {name}" in refused.stderr

    allowed = {"OPENCLAW_ALLOW_INSECURE_PRIVATE_WS": "1"}
    result = await cli.run("health", "--url", url, "--token", TOKEN, "--json", env=allowed)
    assert result.code == 0, result
    identity = json.loads((cli.install.stateDir / "identity" / "device.json").read_text())
    tokens = json.loads((cli.install.stateDir / "identity" / "device-auth.json").read_text())
    assert tokens["deviceId"] == identity["deviceId"]
    assert tokens["tokens"]["operator"]["token"]

    paired = (await cli.run("devices", "list", "--json")).json()
    assert identity["deviceId"] in [d["deviceId"] for d in paired["paired"]]


@pytest_twisted.ensureDeferred
async def test_loopback_with_a_secret_sends_no_device(cli):
    await cli.gateway()
    result = await cli.run("health")
    assert result.code == 0, result
    assert not (cli.install.stateDir / "identity" / "device.json").exists()


@pytest_twisted.ensureDeferred
async def test_a_refused_cached_device_token_is_forgotten(cli, tmp_path):
    """AUTH_DEVICE_TOKEN_MISMATCH clears the cached token, so it is not sent again."""
    port = await cli.gateway()
    state = str(cli.install.stateDir)
    me = identity.load_or_create(state)
    identity.store_token(state, me.deviceId, "operator", "stale-device-token", ["operator.read"])
    # this CLI has no shared secret (auth mode none in its own config): it sends the cached device token
    own = tmp_path / "cli-only.json"
    own.write_text(json.dumps({"gateway": {"mode": "local", "auth": {"mode": "none"}}}))
    env = {"OPENCLAW_CONFIG_PATH": str(own), "OPENCLAW_GATEWAY_URL": f"ws://127.0.0.1:{port}"}
    result = await cli.run("health", "--json", env=env)
    assert result.code == 1 and result.json()["error"]["details"]["code"] == "AUTH_DEVICE_TOKEN_MISMATCH", result
    assert identity.load_token(state, me.deviceId, "operator") is None
