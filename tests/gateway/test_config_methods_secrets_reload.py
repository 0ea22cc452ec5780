"""secrets.reload on an embedded gateway whose token comes from a file SecretRef."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.conftest import TOKEN, local_config

NEW_TOKEN = "rotated-token-9876543210fedcba9876543210"
ADMIN = ["operator.admin"]



@pytest.fixture
def secret_file(home) -> Path:
    path = home / "secrets.json"
    path.write_text(json.dumps({"gateway": {"token": TOKEN}}))
    path.chmod(0o600)
    return path


@pytest.fixture
def gateway_config(secret_file) -> dict:
    config = local_config()
    config["gateway"]["auth"]["token"] = {"source": "file", "provider": "vault", "id": "/gateway/token"}
    config["secrets"] = {"providers": {"vault": {"source": "file", "path": str(secret_file)}}}
    return config


@pytest_twisted.ensureDeferred
async def test_secrets_reload_swaps_a_rotated_file_secret(gateway, secret_file):
    client = await gateway.connect(scopes=ADMIN)
    secret_file.write_text(json.dumps({"gateway": {"token": NEW_TOKEN}}))
    assert await client.call("secrets.reload", {}) == {"ok": True, "warningCount": 0}
    await gateway.connect(token=NEW_TOKEN)
    await gateway.rejected(token=TOKEN)
    assert (await client.call("health"))["ok"] is True


@pytest_twisted.ensureDeferred
async def test_secrets_reload_failure_keeps_the_last_known_good_snapshot(gateway, secret_file):
    client = await gateway.connect(scopes=ADMIN)
    secret_file.write_text(json.dumps({"other": NEW_TOKEN}))
    with pytest.raises(GatewayCallError) as caught:
        await client.call("secrets.reload", {})
    error = caught.value
    assert (error.code, error.message) == ("UNAVAILABLE", "secrets.reload failed")
    await gateway.connect(token=TOKEN)
    secret_file.write_text(json.dumps({"gateway": {"token": NEW_TOKEN}}))
    assert (await client.call("secrets.reload"))["ok"] is True
    await gateway.connect(token=NEW_TOKEN)
