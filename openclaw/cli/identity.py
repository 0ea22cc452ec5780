"""
Our CLI's own device identity, kept where OpenClaw's CLI keeps it:
C{<state>/identity/device.json} (an Ed25519 key pair as PEM, version 1) and the
device tokens gateways issued to it in C{<state>/identity/device-auth.json}.

    identity = load_or_create(stateDir)
    params["device"] = device_block(identity, params, challenge["nonce"], challenge["ts"])

These are small files read and written once per command; callers on the reactor
run them in a thread.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Mapping

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openclaw.atomicfile import write_atomically
from openclaw.protocol.device import b64url_encode, device_id, sign, signed_payload

_VERSION = 1


@dataclass(frozen=True)
class DeviceIdentity:
    deviceId: str
    privateKey: Ed25519PrivateKey

    @property
    def publicKeyRaw(self) -> bytes:
        return self.privateKey.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def publicKey(self) -> str:
        """The public key as the wire carries it: base64url of the raw 32 bytes."""
        return b64url_encode(self.publicKeyRaw)


def _identity(key: Ed25519PrivateKey) -> DeviceIdentity:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return DeviceIdentity(device_id(raw), key)


def identity_path(stateDir: str) -> str:
    return os.path.join(stateDir, "identity", "device.json")


def tokens_path(stateDir: str) -> str:
    return os.path.join(stateDir, "identity", "device-auth.json")


class IdentityError(Exception):
    """The device identity file exists but cannot be used; the message names it."""


def _write_private(path: str, document: Mapping[str, Any]) -> None:
    """Write a secret-bearing JSON file readable by its owner only, atomically."""
    write_atomically(path, json.dumps(document, indent=2) + "\n")


def _read(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and document.get("version") == _VERSION else None


def _stored_key(text: str) -> tuple[dict[str, Any], Ed25519PrivateKey] | None:
    """The identity document and its key, or None when C{text} is not a usable identity."""
    try:
        stored = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(stored, dict) and stored.get("version") == _VERSION and isinstance(stored.get("privateKeyPem"), str)):
        return None
    try:
        key = serialization.load_pem_private_key(stored["privateKeyPem"].encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return (stored, key) if isinstance(key, Ed25519PrivateKey) else None


def load_or_create(stateDir: str) -> DeviceIdentity:
    """
    The stored identity, or a new one (saved) when there is no file. A file that
    exists but cannot be used is left as it is (OpenClaw's own CLI shares it).

    @raise IdentityError: the file is unreadable, not JSON, of another version, or holds no Ed25519 key.
    """
    path = identity_path(stateDir)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return _create(path)
    except (OSError, ValueError) as e:
        raise IdentityError(f"Cannot read the device identity {path}: {getattr(e, 'strerror', None) or e}") from None
    found = _stored_key(text)
    if found is None:
        raise IdentityError(
            f"The device identity {path} is not usable (expected version {_VERSION} with an Ed25519 privateKeyPem); "
            "repair it or move it away to create a new one."
        )
    stored, key = found
    identity = _identity(key)
    if stored.get("deviceId") != identity.deviceId:  # the id always follows the key
        _write_private(path, {**stored, "deviceId": identity.deviceId})
    return identity


def _create(path: str) -> DeviceIdentity:
    key = Ed25519PrivateKey.generate()
    identity = _identity(key)
    _write_private(
        path,
        {
            "version": _VERSION,
            "deviceId": identity.deviceId,
            "publicKeyPem": key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
            "privateKeyPem": key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "createdAtMs": int(time.time() * 1000),
        },
    )
    return identity


def device_block(identity: DeviceIdentity, params: Mapping[str, Any], nonce: str, signedAt: int) -> dict[str, Any]:
    """
    The signed C{device} block for connect C{params} (which must already hold their
    final client, role, scopes and auth). C{nonce} and C{signedAt} are the challenge's
    C{nonce} and C{ts}, copied as the reference client does. Signs the C{v3} payload.
    """
    payload = signed_payload("v3", identity.deviceId, params, signedAt, nonce)
    return {
        "id": identity.deviceId,
        "publicKey": identity.publicKey,
        "signature": sign(identity.privateKey, payload),
        "signedAt": signedAt,
        "nonce": nonce,
    }


def load_token(stateDir: str, deviceId: str, role: str) -> dict[str, Any] | None:
    """The cached device token of C{deviceId} for C{role}: C{{token, role, scopes, updatedAtMs}}."""
    stored = _read(tokens_path(stateDir))
    if stored is None or stored.get("deviceId") != deviceId:
        return None
    entry = (stored.get("tokens") or {}).get(role)
    return entry if isinstance(entry, dict) and isinstance(entry.get("token"), str) else None


def store_token(stateDir: str, deviceId: str, role: str, token: str, scopes: list[str]) -> None:
    """Remember the device token a hello-ok handed out (a different device id starts over)."""
    stored = _read(tokens_path(stateDir))
    tokens = dict(stored.get("tokens") or {}) if stored and stored.get("deviceId") == deviceId else {}
    tokens[role] = {"token": token, "role": role, "scopes": list(scopes), "updatedAtMs": int(time.time() * 1000)}
    _write_private(tokens_path(stateDir), {"version": _VERSION, "deviceId": deviceId, "tokens": tokens})


def clear_token(stateDir: str, deviceId: str, role: str) -> None:
    """Forget a device token the gateway refused."""
    stored = _read(tokens_path(stateDir))
    if stored is None or stored.get("deviceId") != deviceId or role not in (stored.get("tokens") or {}):
        return
    tokens = {r: t for r, t in stored["tokens"].items() if r != role}
    _write_private(tokens_path(stateDir), {**stored, "tokens": tokens})
