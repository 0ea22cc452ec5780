"""Our CLI's device identity: the stored key pair, the signed block, the token cache."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest
import pytest_twisted
from cryptography.hazmat.primitives import serialization

from openclaw.cli import identity
from openclaw.cli.client import connect_params, open_socket
from tests.conftest import TOKEN
from tests.support.device_keys import signed_string


def test_created_once_owner_only_and_reloaded(tmp_path):
    created = identity.load_or_create(str(tmp_path))
    path = tmp_path / "identity" / "device.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["version"] == 1 and stored["deviceId"] == created.deviceId
    assert stored["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert stored["privateKeyPem"].startswith("-----BEGIN PRIVATE KEY-----")
    again = identity.load_or_create(str(tmp_path))
    assert again.deviceId == created.deviceId and again.publicKey == created.publicKey
    assert created.deviceId == hashlib.sha256(created.publicKeyRaw).hexdigest()
    assert len(created.publicKey) == 43


def test_a_wrong_stored_id_is_corrected(tmp_path):
    created = identity.load_or_create(str(tmp_path))
    path = tmp_path / "identity" / "device.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "deviceId": "0" * 64}))
    assert identity.load_or_create(str(tmp_path)).deviceId == created.deviceId
    assert json.loads(path.read_text())["deviceId"] == created.deviceId


@pytest.mark.parametrize("content", ["not json", json.dumps({"version": 2, "privateKeyPem": "x"}), "{}", None])
def test_an_unusable_identity_file_is_never_overwritten(tmp_path, content):
    """The file is shared with OpenClaw's own CLI: only a missing one is created."""
    path = tmp_path / "identity" / "device.json"
    path.parent.mkdir()
    if content is None:
        path.mkdir()  # unreadable
    else:
        path.write_text(content)
    with pytest.raises(identity.IdentityError) as caught:
        identity.load_or_create(str(tmp_path))
    assert str(path) in str(caught.value)
    assert path.is_dir() if content is None else path.read_text() == content
    assert [p.name for p in path.parent.iterdir()] == ["device.json"]


def test_device_block_signs_the_v3_string(tmp_path):
    me = identity.load_or_create(str(tmp_path))
    params = connect_params(token=TOKEN, scopes=["operator.read"])
    params["client"].update(platform="linux", deviceFamily="Linux")
    block = identity.device_block(me, params, "nonce-1", 1795485705960)
    assert (block["id"], block["publicKey"], block["signedAt"], block["nonce"]) == (
        me.deviceId, me.publicKey, 1795485705960, "nonce-1")
    # checked with cryptography directly, against the string the notes spell out
    expected = signed_string(me.deviceId, "v3", params, 1795485705960, "nonce-1")
    assert expected == f"v3|{me.deviceId}|cli|cli|operator|operator.read|1795485705960|{TOKEN}|nonce-1|linux|linux"
    signature = block["signature"] + "=" * (-len(block["signature"]) % 4)
    me.privateKey.public_key().verify(base64.urlsafe_b64decode(signature), expected.encode())


def test_token_cache(tmp_path):
    state = str(tmp_path)
    assert identity.load_token(state, "dev-1", "operator") is None
    identity.store_token(state, "dev-1", "operator", "tok-1", ["operator.read"])
    entry = identity.load_token(state, "dev-1", "operator")
    assert entry["token"] == "tok-1" and entry["scopes"] == ["operator.read"] and entry["role"] == "operator"
    assert stat.S_IMODE(os.stat(tmp_path / "identity" / "device-auth.json").st_mode) == 0o600
    assert identity.load_token(state, "dev-2", "operator") is None  # another identity
    identity.clear_token(state, "dev-1", "operator")
    assert identity.load_token(state, "dev-1", "operator") is None
    identity.store_token(state, "dev-2", "node", "tok-2", [])  # a new identity starts over
    assert json.loads((tmp_path / "identity" / "device-auth.json").read_text())["tokens"].keys() == {"node"}


@pytest_twisted.ensureDeferred
async def test_our_identity_pairs_with_our_gateway(gateway, tmp_path):
    me = identity.load_or_create(str(tmp_path))

    def signed(challenge):
        params = connect_params(token=TOKEN, scopes=["operator.read"])
        params["device"] = identity.device_block(me, params, challenge["nonce"], challenge["ts"])
        return params

    client, connected = open_socket(gateway.reactor, gateway.url, signed)
    gateway.clients.append(client)
    await connected
    await client.ready
    assert len(client.hello["auth"]["deviceToken"]) == 43
    public = me.privateKey.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert hashlib.sha256(public).hexdigest() == me.deviceId
