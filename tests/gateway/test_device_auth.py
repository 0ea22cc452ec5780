"""
Device-signed connects over real loopback sockets: the proof, device tokens,
silent local pairing, remote pairing requests and their approval, and the
pairing events admins receive.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected, GatewayCallError
from tests.conftest import TOKEN, local_config
from tests.support.device_keys import DeviceKey, device_params

REMOTE = {"X-Forwarded-For": "203.0.113.6"}


@pytest.fixture
def gateway_config() -> dict:
    # the proxy on loopback is trusted, so X-Forwarded-For names the remote client
    return local_config(trustedProxies=["127.0.0.1"])


async def open_device(gateway, key: DeviceKey, headers=None, **kwargs):
    kwargs.setdefault("auth", {"token": TOKEN})
    client, connected = gateway.open(lambda challenge: device_params(key, challenge, **kwargs), headers=headers)
    await connected
    return client


async def hello(gateway, key: DeviceKey, headers=None, **kwargs) -> dict:
    client = await open_device(gateway, key, headers, **kwargs)
    await client.ready
    return client.hello


async def refused(gateway, key: DeviceKey, headers=None, **kwargs) -> ConnectRejected:
    client = await open_device(gateway, key, headers, **kwargs)
    with pytest.raises(ConnectRejected) as caught:
        await client.ready
    return caught.value


async def admin(gateway, scopes=("operator.admin",)):
    return await gateway.connect(clientId="gateway-client", mode="backend", scopes=list(scopes))


def events(client, name: str) -> list[dict]:
    return [frame["payload"] for frame in client.events if frame["event"] == name]


@pytest_twisted.ensureDeferred
async def test_local_device_with_shared_token_is_paired_silently(gateway):
    watcher = await admin(gateway, ["operator.pairing"])
    reader = await admin(gateway, ["operator.read"])
    key = DeviceKey()
    result = await hello(gateway, key, scopes=["operator.read", "operator.pairing"])
    auth = result["auth"]
    assert auth["role"] == "operator" and auth["scopes"] == ["operator.read", "operator.pairing"]
    assert len(auth["deviceToken"]) == 43 and auth["recoveryMigrationAllowed"] is True
    assert isinstance(auth["issuedAtMs"], int)
    await watcher.call("health")
    (resolved,) = events(watcher, "device.pair.resolved")
    assert resolved["deviceId"] == key.id and resolved["decision"] == "approved"
    await reader.call("health")
    assert events(reader, "device.pair.resolved") == []  # needs operator.pairing
    listing = await watcher.call("device.pair.list")
    (device,) = listing["paired"]
    assert device["approvedVia"] == "silent" and device["connected"] is True


@pytest_twisted.ensureDeferred
async def test_device_token_alone_or_in_the_token_field_reconnects(gateway):
    key = DeviceKey()
    first = (await hello(gateway, key))["auth"]
    again = (await hello(gateway, key, auth={"deviceToken": first["deviceToken"]}))["auth"]
    assert again == {"role": "operator", "scopes": ["operator.read"], "recoveryMigrationAllowed": True,
                     "deviceToken": first["deviceToken"], "issuedAtMs": first["issuedAtMs"]}
    asToken = (await hello(gateway, key, auth={"token": first["deviceToken"]}))["auth"]
    assert asToken["deviceToken"] == first["deviceToken"]


@pytest_twisted.ensureDeferred
async def test_device_token_beyond_its_scopes_is_a_scope_mismatch(gateway):
    key = DeviceKey()
    token = (await hello(gateway, key))["auth"]["deviceToken"]
    err = await refused(gateway, key, auth={"deviceToken": token}, scopes=["operator.admin"])
    assert err.code == "INVALID_REQUEST"
    assert err.message == "unauthorized: device token scope mismatch (re-pair or approve scope upgrade)"
    assert err.details == {"code": "AUTH_SCOPE_MISMATCH", "authReason": "scope_mismatch",
                           "canRetryWithDeviceToken": False, "recommendedNextStep": "review_auth_configuration"}
    assert (err.closeCode, err.closeReason) == (1008, err.message)


@pytest_twisted.ensureDeferred
async def test_wrong_device_token(gateway):
    key = DeviceKey()
    await hello(gateway, key)
    err = await refused(gateway, key, auth={"deviceToken": "not-the-token"})
    assert err.message == "unauthorized: device token mismatch (rotate/reissue device token)"
    assert err.details["code"] == "AUTH_DEVICE_TOKEN_MISMATCH"
    assert err.details["recommendedNextStep"] == "update_auth_credentials"


@pytest_twisted.ensureDeferred
async def test_wrong_token_with_a_device_may_retry_with_the_device_token(gateway):
    err = await refused(gateway, DeviceKey(), auth={"token": "wrong"})
    assert err.message == "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)"
    assert err.details == {"code": "AUTH_TOKEN_MISMATCH", "authReason": "token_mismatch",
                           "canRetryWithDeviceToken": True, "recommendedNextStep": "retry_with_device_token"}


@pytest_twisted.ensureDeferred
async def test_device_without_any_credential_is_token_missing(gateway):
    err = await refused(gateway, DeviceKey(), auth=None)
    assert err.message == "unauthorized: gateway token missing (use this gateway's gateway.auth.token or pair the device)"
    assert err.details == {"code": "AUTH_TOKEN_MISSING", "authReason": "token_missing",
                           "canRetryWithDeviceToken": False, "recommendedNextStep": "update_auth_configuration"}


@pytest.mark.parametrize(
    "override, message, code",
    [
        ({"id": "0" * 64}, "device identity mismatch", "DEVICE_AUTH_DEVICE_ID_MISMATCH"),
        ({"signedAt": 1_000}, "device signature expired", "DEVICE_AUTH_SIGNATURE_EXPIRED"),
        ({"nonce": " "}, "device nonce required", "DEVICE_AUTH_NONCE_REQUIRED"),
        ({"nonce": "not-this-socket"}, "device nonce mismatch", "DEVICE_AUTH_NONCE_MISMATCH"),
        ({"signature": "AAAA"}, "device signature invalid", "DEVICE_AUTH_SIGNATURE_INVALID"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_device_proof_failures_close_1008(gateway, override, message, code):
    err = await refused(gateway, DeviceKey(), **override)
    assert (err.code, err.message, err.details["code"]) == ("INVALID_REQUEST", message, code)
    assert (err.closeCode, err.closeReason) == (1008, message)


@pytest_twisted.ensureDeferred
async def test_proof_is_checked_before_the_secret(gateway):
    err = await refused(gateway, DeviceKey(), auth={"token": "wrong"}, nonce="stale")
    assert err.details["code"] == "DEVICE_AUTH_NONCE_MISMATCH"


@pytest_twisted.ensureDeferred
async def test_v2_signature_connects(gateway):
    assert "deviceToken" in (await hello(gateway, DeviceKey(), version="v2"))["auth"]


@pytest_twisted.ensureDeferred
async def test_local_backend_with_a_device_skips_pairing(gateway):
    result = await hello(gateway, DeviceKey(), clientId="gateway-client", mode="backend", scopes=["operator.admin"])
    assert result["auth"] == {"role": "operator", "scopes": ["operator.admin"]}
    watcher = await admin(gateway)
    assert (await watcher.call("device.pair.list"))["paired"] == []


@pytest_twisted.ensureDeferred
async def test_node_device_is_paired_and_gets_a_token_without_recovery_flag(gateway):
    auth = (await hello(gateway, DeviceKey(), clientId="node-host", mode="node", role="node", scopes=[]))["auth"]
    assert auth["role"] == "node" and auth["scopes"] == [] and "recoveryMigrationAllowed" not in auth
    assert len(auth["deviceToken"]) == 43


@pytest_twisted.ensureDeferred
async def test_remote_device_waits_for_approval(gateway):
    watcher = await admin(gateway, ["operator.pairing"])
    key = DeviceKey()
    err = await refused(gateway, key, REMOTE)
    requestId = err.details["requestId"]
    assert err.code == "NOT_PAIRED" and err.message == "pairing required: device is not approved yet"
    assert err.details == {
        "code": "PAIRING_REQUIRED", "reason": "not-paired", "requestId": requestId,
        "remediationHint": "Approve this device from the pending pairing requests.",
        "deviceId": key.id, "requestedRole": "operator", "requestedScopes": ["operator.read"],
    }
    assert (err.closeCode, err.closeReason) == (
        1008, f"pairing required: device is not approved yet (requestId: {requestId})")
    await watcher.call("health")
    (requested,) = events(watcher, "device.pair.requested")
    assert requested["requestId"] == requestId and requested["remoteIp"] == "203.0.113.6"
    assert requested["silent"] is False and requested["clientId"] == "cli"

    # the same device asking again keeps its request (and no new event)
    assert (await refused(gateway, key, REMOTE)).details["requestId"] == requestId
    listing = await watcher.call("device.pair.list")
    assert [p["requestId"] for p in listing["pending"]] == [requestId] and listing["paired"] == []

    approver = await gateway.connect(scopes=["operator.pairing", "operator.read"])
    approved = await approver.call("device.pair.approve", {"requestId": requestId})
    assert approved["requestId"] == requestId
    assert approved["device"]["deviceId"] == key.id and approved["device"]["approvedVia"] == "owner"
    assert approved["device"]["tokens"][0]["scopes"] == ["operator.read"]
    await watcher.call("health")
    assert [e["decision"] for e in events(watcher, "device.pair.resolved")] == ["approved"]
    assert len(events(watcher, "device.pair.requested")) == 1

    result = await hello(gateway, key, REMOTE)
    assert result["auth"]["scopes"] == ["operator.read"] and len(result["auth"]["deviceToken"]) == 43


@pytest_twisted.ensureDeferred
async def test_remote_scope_upgrade_needs_approval(gateway):
    key = DeviceKey()
    await hello(gateway, key)  # paired locally with operator.read
    err = await refused(gateway, key, REMOTE, scopes=["operator.read", "operator.write"])
    assert err.message == "pairing required: device is asking for more scopes than currently approved"
    assert err.details["reason"] == "scope-upgrade"
    assert err.details["approvedRoles"] == ["operator"] and err.details["approvedScopes"] == ["operator.read"]


@pytest_twisted.ensureDeferred
async def test_approving_admin_scopes_needs_admin(gateway):
    err = await refused(gateway, DeviceKey(), REMOTE, scopes=["operator.admin"])
    approver = await gateway.connect(scopes=["operator.pairing"])
    with pytest.raises(GatewayCallError) as caught:
        await approver.call("device.pair.approve", {"requestId": err.details["requestId"]})
    assert (caught.value.code, caught.value.message) == ("INVALID_REQUEST", "missing scope: operator.admin")


@pytest_twisted.ensureDeferred
async def test_reject_and_unknown_request(gateway):
    watcher = await admin(gateway, ["operator.pairing"])
    key = DeviceKey()
    requestId = (await refused(gateway, key, REMOTE)).details["requestId"]
    assert await watcher.call("device.pair.reject", {"requestId": requestId}) == {"requestId": requestId, "deviceId": key.id}
    await watcher.call("health")
    assert events(watcher, "device.pair.resolved")[-1]["decision"] == "rejected"
    for method in ("device.pair.approve", "device.pair.reject"):
        with pytest.raises(GatewayCallError) as caught:
            await watcher.call(method, {"requestId": requestId})
        assert caught.value.message == "unknown requestId"


@pytest_twisted.ensureDeferred
async def test_pairing_methods_need_the_pairing_scope(gateway):
    reader = await gateway.connect(scopes=["operator.read"])
    with pytest.raises(GatewayCallError) as caught:
        await reader.call("device.pair.list")
    assert caught.value.message == "missing scope: operator.pairing"
    with pytest.raises(GatewayCallError) as caught:
        await (await admin(gateway)).call("device.pair.remove", {})
    assert caught.value.message.startswith("invalid device.pair.remove params")


@pytest_twisted.ensureDeferred
async def test_remove_disconnects_the_device(gateway):
    key = DeviceKey()
    client = await open_device(gateway, key)
    await client.ready
    watcher = await admin(gateway)
    assert await watcher.call("device.pair.remove", {"deviceId": key.id}) == {"deviceId": key.id}
    code, reason = await client.closed
    assert (code, reason) == (4001, "client invalidated: device-pair-removed")
    assert (await watcher.call("device.pair.list"))["paired"] == []
    with pytest.raises(GatewayCallError) as caught:
        await watcher.call("device.pair.remove", {"deviceId": key.id})
    assert caught.value.message == "unknown deviceId"


@pytest_twisted.ensureDeferred
async def test_rotate_and_revoke(gateway):
    key = DeviceKey()
    first = (await hello(gateway, key, scopes=["operator.read", "operator.pairing"]))["auth"]["deviceToken"]
    # the device rotates its own token: the new one comes back in band
    own = await open_device(gateway, key, auth={"deviceToken": first}, scopes=["operator.read", "operator.pairing"])
    await own.ready
    rotated = await own.call("device.token.rotate", {"deviceId": key.id, "role": "operator"})
    assert rotated["tokenDelivery"] == "in-band" and rotated["token"] != first
    assert rotated["scopes"] == ["operator.pairing", "operator.read"]
    assert (await own.closed) == (4001, "client invalidated: device-token-rotated")
    await refused(gateway, key, auth={"deviceToken": first})
    # another caller rotates it: the token is withheld
    watcher = await admin(gateway)
    other = await watcher.call("device.token.rotate", {"deviceId": key.id, "role": "operator", "scopes": ["operator.read"]})
    assert other["tokenDelivery"] == "withheld-cross-device" and "token" not in other
    revoked = await watcher.call("device.token.revoke", {"deviceId": key.id, "role": "operator"})
    assert revoked["deviceId"] == key.id and revoked["role"] == "operator" and isinstance(revoked["revokedAtMs"], int)
    with pytest.raises(GatewayCallError) as caught:
        await watcher.call("device.token.rotate", {"deviceId": key.id, "role": "node"})
    assert caught.value.message == "unknown deviceId/role"


@pytest_twisted.ensureDeferred
async def test_a_device_manages_only_itself_unless_admin(gateway):
    mine, theirs = DeviceKey(), DeviceKey()
    await hello(gateway, theirs)
    token = (await hello(gateway, mine, scopes=["operator.pairing", "operator.read"]))["auth"]["deviceToken"]
    me = await open_device(gateway, mine, auth={"deviceToken": token}, scopes=["operator.pairing", "operator.read"])
    await me.ready
    listing = await me.call("device.pair.list")
    assert [d["deviceId"] for d in listing["paired"]] == [mine.id]
    with pytest.raises(GatewayCallError) as caught:
        await me.call("device.pair.remove", {"deviceId": theirs.id})
    assert caught.value.message == "device pairing removal denied"


@pytest_twisted.ensureDeferred
async def test_features_list_the_pairing_methods_and_events(gateway):
    client = await gateway.connect()
    features = client.hello["features"]
    assert {"device.pair.list", "device.pair.approve", "device.pair.reject", "device.pair.remove",
            "device.token.rotate", "device.token.revoke"} <= set(features["methods"])
    assert {"device.pair.requested", "device.pair.resolved"} <= set(features["events"])
