"""gateway.auth.mode=none on loopback: no secret needed, the usual scope rules still apply."""

from __future__ import annotations

import pytest
import pytest_twisted


@pytest.fixture
def gateway_config():
    return {"gateway": {"mode": "local", "auth": {"mode": "none"}}, "logging": {"file": "{log}"}}


@pytest_twisted.ensureDeferred
async def test_connect_without_credentials(gateway):
    client = await gateway.connect(token=None, scopes=["operator.read"])
    assert client.scopes == ["operator.read"]
    probe = await gateway.connect(token=None, mode="probe", minProtocol=3, maxProtocol=4)
    assert probe.scopes == []
