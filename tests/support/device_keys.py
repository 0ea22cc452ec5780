"""
Device keys for tests, signed with C{cryptography} directly: the signed string is
spelled out here from PROTOCOL-NOTES §3.3, independently of
C{openclaw.protocol.device}, so the tests check our implementation against the
notes rather than against itself.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def signed_string(deviceId: str, version: str, params: dict[str, Any], signedAt: int, nonce: str) -> str:
    client, auth = params["client"], params.get("auth", {})
    token = auth.get("token") or auth.get("deviceToken") or auth.get("bootstrapToken") or ""
    parts = [version, deviceId, client["id"], client["mode"], params.get("role", "operator"),
             ",".join(params.get("scopes", [])), str(signedAt), token, nonce]
    if version == "v3":
        parts += [client.get("platform", "").strip().lower(), client.get("deviceFamily", "").strip().lower()]
    return "|".join(parts)


class DeviceKey:
    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.id = hashlib.sha256(self.raw).hexdigest()
        self.publicKey = b64url(self.raw)

    def payload(self, version: str, params: dict[str, Any], signedAt: int, nonce: str) -> str:
        return signed_string(self.id, version, params, signedAt, nonce)

    def sign(self, text: str) -> str:
        return b64url(self.private.sign(text.encode()))

    def block(self, params: dict[str, Any], challenge: dict[str, Any], version: str = "v3", **override: Any) -> dict[str, Any]:
        signedAt = override.pop("signedAt", challenge["ts"])
        nonce = override.pop("nonce", challenge["nonce"])
        block = {
            "id": self.id,
            "publicKey": self.publicKey,
            "signature": self.sign(self.payload(version, params, signedAt, nonce)),
            "signedAt": signedAt,
            "nonce": nonce,
        }
        block.update(override)
        return block


def device_params(
    key: DeviceKey,
    challenge: dict[str, Any],
    *,
    auth: dict[str, str] | None,
    clientId: str = "cli",
    mode: str = "cli",
    role: str = "operator",
    scopes: list[str] | tuple[str, ...] = ("operator.read",),
    version: str = "v3",
    platform: str = "linux",
    deviceFamily: str = "Linux",
    **override: Any,
) -> dict[str, Any]:
    """Connect params with a device block signed over this challenge."""
    params: dict[str, Any] = {
        "minProtocol": 4,
        "maxProtocol": 4,
        "client": {"id": clientId, "version": "test-1", "platform": platform, "deviceFamily": deviceFamily,
                   "mode": mode, "instanceId": str(uuid.uuid4())},
        "caps": [],
        "role": role,
        "scopes": list(scopes),
    }
    if auth:
        params["auth"] = auth
    params["device"] = key.block(params, challenge, version, **override)
    return params
