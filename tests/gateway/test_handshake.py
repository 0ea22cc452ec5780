"""The connect handshake over real loopback sockets: hello-ok and every refusal."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import connect_params
from tests.conftest import TOKEN


@pytest_twisted.ensureDeferred
async def test_challenge_then_hello_ok(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    challenge = client.frames[0]
    assert challenge["event"] == "connect.challenge" and "seq" not in challenge
    assert len(challenge["payload"]["nonce"]) == 36 and isinstance(challenge["payload"]["ts"], int)
    hello = client.hello
    assert hello["type"] == "hello-ok" and hello["protocol"] == 4
    assert hello["auth"] == {"role": "operator", "scopes": ["operator.read"]}
    assert hello["policy"] == {"maxPayload": 26214400, "maxBufferedBytes": 52428800, "tickIntervalMs": 30000}
    assert set(hello["snapshot"]) >= {"presence", "health", "stateVersion", "uptimeMs"}
    assert hello["snapshot"]["presence"][0]["mode"] == "gateway"
    assert hello["features"]["methods"][:3] == ["health", "status", "system-presence"]
    assert "configPath" not in hello["snapshot"]


@pytest_twisted.ensureDeferred
async def test_backend_client_keeps_scopes_and_admin_sees_paths(gateway):
    client = await gateway.connect(clientId="gateway-client", mode="backend", scopes=["operator.admin"])
    assert client.scopes == ["operator.admin"]
    assert client.hello["snapshot"]["configPath"].endswith("openclaw.json")


@pytest_twisted.ensureDeferred
async def test_probe_client_gets_no_scopes_with_protocol_3_to_4(gateway):
    client = await gateway.connect(mode="probe", minProtocol=3, maxProtocol=4)
    assert client.hello["protocol"] == 4
    assert client.scopes == []
    assert client.hello["snapshot"]["presence"] == []
    health = await client.call("health")
    assert health["ok"] is True
    with pytest.raises(Exception) as caught:
        await client.call("status")
    assert caught.value.code == "FORBIDDEN"
    assert caught.value.details == {
        "code": "MISSING_SCOPE", "missingScope": "operator.read", "requiredScopes": ["operator.read"],
    }


@pytest_twisted.ensureDeferred
async def test_wrong_token(gateway):
    err = await gateway.rejected(token="wrong")
    assert err.code == "INVALID_REQUEST"
    assert err.message == "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)"
    assert err.details == {
        "code": "AUTH_TOKEN_MISMATCH", "authReason": "token_mismatch",
        "canRetryWithDeviceToken": False, "recommendedNextStep": "update_auth_credentials",
    }
    assert (err.closeCode, err.closeReason) == (1008, err.message)


@pytest_twisted.ensureDeferred
async def test_wrong_token_hint_for_backend(gateway):
    err = await gateway.rejected(token="wrong", clientId="gateway-client", mode="backend")
    assert err.message == "unauthorized: gateway token mismatch (provide gateway auth token)"


@pytest_twisted.ensureDeferred
async def test_password_field_in_token_mode_is_a_token_mismatch(gateway):
    err = await gateway.rejected(token=None, password="nope")
    assert err.details["code"] == "AUTH_TOKEN_MISMATCH"


@pytest_twisted.ensureDeferred
async def test_shared_token_in_password_field_is_accepted(gateway):
    client = await gateway.connect(token=None, password=TOKEN)
    assert client.hello["type"] == "hello-ok"


@pytest_twisted.ensureDeferred
async def test_no_credentials_needs_device_identity(gateway):
    err = await gateway.rejected(token=None)
    assert (err.code, err.message, err.details) == (
        "NOT_PAIRED", "device identity required", {"code": "DEVICE_IDENTITY_REQUIRED"},
    )
    assert err.closeCode == 1008


@pytest.mark.parametrize("low, high", [(5, 5), (3, 3)])
@pytest_twisted.ensureDeferred
async def test_protocol_mismatch(gateway, low, high):
    err = await gateway.rejected(minProtocol=low, maxProtocol=high)
    assert err.message == "protocol mismatch"
    assert err.details == {
        "code": "PROTOCOL_MISMATCH", "clientMinProtocol": low, "clientMaxProtocol": high,
        "expectedProtocol": 4, "minimumProbeProtocol": 3,
    }
    assert (err.closeCode, err.closeReason) == (1002, "protocol mismatch")


@pytest_twisted.ensureDeferred
async def test_invalid_role(gateway):
    err = await gateway.rejected(role="superuser")
    assert (err.message, err.closeCode, err.closeReason) == ("invalid role", 1008, "invalid role")


@pytest_twisted.ensureDeferred
async def test_invalid_connect_params(gateway):
    err = await gateway.rejected(clientId="bogus")
    expected = "invalid connect params: at /client/id: must be equal to one of the allowed values"
    assert (err.message, err.closeCode, err.closeReason) == (expected, 1008, expected)


@pytest_twisted.ensureDeferred
async def test_control_ui_without_origin(gateway):
    err = await gateway.rejected(clientId="openclaw-control-ui", mode="webchat")
    assert err.details == {"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": "origin missing or invalid"}


async def _raw(gateway, params=None):
    client, connected = gateway.open(params)
    await connected
    await client.challenged
    return client


async def _until_closed(client):
    return await client.closed


@pytest_twisted.ensureDeferred
async def test_first_frame_not_connect(gateway):
    client = await _raw(gateway)
    client.sendFrame({"type": "req", "id": "1", "method": "health"})
    code, reason = await _until_closed(client)
    assert client.frames[-1]["error"]["message"] == "invalid handshake: first request must be connect"
    assert (code, reason) == (1008, "invalid handshake: first request must be connect")


@pytest_twisted.ensureDeferred
async def test_first_frame_not_a_request(gateway):
    client = await _raw(gateway)
    client.sendFrame({"hello": "world"})
    assert await _until_closed(client) == (1008, "invalid request frame")
    assert [f["event"] for f in client.frames] == ["connect.challenge"]


@pytest_twisted.ensureDeferred
async def test_malformed_json_before_hello(gateway):
    client = await _raw(gateway)
    client.sendRaw(b"{not json")
    code, _ = await _until_closed(client)
    assert code == 1000


@pytest_twisted.ensureDeferred
async def test_oversized_preauth_frame(gateway):
    client = await _raw(gateway)
    client.sendRaw(b'"' + b"x" * 70_000 + b'"')
    code, _ = await _until_closed(client)
    assert code == 1009


@pytest_twisted.ensureDeferred
async def test_huge_error_answer_before_hello_is_capped(gateway):
    """Thousands of schema violations still give one small answer and a 1008 close."""
    params = connect_params(token=TOKEN)
    params["scopes"] = list(range(5000))
    client = await _raw(gateway)
    client.sendFrame({"type": "req", "id": "1", "method": "connect", "params": params})
    code, reason = await _until_closed(client)
    error = client.frames[-1]["error"]
    assert error["message"].startswith("invalid connect params: at /scopes/0: must be string; ")
    assert len(error["message"]) <= 1100
    assert code == 1008


@pytest_twisted.ensureDeferred
async def test_connect_while_stopping_is_told_to_retry(gateway):
    gateway.service.hub.accepting = False
    err = await gateway.rejected()
    assert (err.code, err.message) == ("UNAVAILABLE", "connect unavailable during gateway restart/suspension")
    assert err.error["retryable"] is True and err.error["retryAfterMs"] == 1000
    assert (err.closeCode, err.closeReason) == (1013, "gateway restart in progress")
    gateway.service.hub.accepting = True
