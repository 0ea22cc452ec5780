"""Device-signed connects when the gateway uses a password, or no auth at all."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected
from tests.support.device_keys import DeviceKey, device_params

PASSWORD = "correct horse battery staple"
MODES = {"password": {"mode": "password", "password": PASSWORD}, "none": {"mode": "none"}}


@pytest.fixture
def gateway_config(request) -> dict:
    return {"gateway": {"mode": "local", "auth": MODES[request.param]}, "logging": {"file": "{log}"}}


async def open_device(gateway, key, auth):
    client, connected = gateway.open(lambda challenge: device_params(key, challenge, auth=auth))
    await connected
    return client


@pytest.mark.parametrize("gateway_config, auth", [("password", {"password": PASSWORD}), ("none", None)], indirect=["gateway_config"])
@pytest_twisted.ensureDeferred
async def test_the_shared_secret_or_no_auth_pairs_a_local_device(gateway, auth):
    client = await open_device(gateway, DeviceKey(), auth)
    await client.ready
    assert len(client.hello["auth"]["deviceToken"]) == 43


@pytest.mark.parametrize("gateway_config", ["password"], indirect=True)
@pytest_twisted.ensureDeferred
async def test_wrong_password_with_a_device(gateway):
    client = await open_device(gateway, DeviceKey(), {"password": "wrong"})
    with pytest.raises(ConnectRejected) as caught:
        await client.ready
    assert caught.value.details["code"] == "AUTH_PASSWORD_MISMATCH"
    assert caught.value.message == (
        "unauthorized: gateway password mismatch (use this gateway's gateway.auth.password or pair the device)"
    )
