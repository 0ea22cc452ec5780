"""
Device identity: the signed C{device} block of a connect, as pure functions.

A device is an Ed25519 key pair. Its id is the lowercase hex SHA-256 of the raw
32-byte public key; the public key and signature travel as base64url without
padding. The client signs a C{|}-joined string that binds the server's challenge
nonce (C{v3}, which also binds platform and device family; C{v2} without them). The
gateway and our CLI build that string with the same function, L{signed_payload}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

#: How far C{signedAt} may be from the gateway's clock.
SIGNATURE_SKEW_MS = 120_000
PAYLOAD_VERSIONS = ("v3", "v2")

_FAILURES = {
    "device-id-mismatch": ("device identity mismatch", "DEVICE_AUTH_DEVICE_ID_MISMATCH"),
    "device-signature-stale": ("device signature expired", "DEVICE_AUTH_SIGNATURE_EXPIRED"),
    "device-nonce-missing": ("device nonce required", "DEVICE_AUTH_NONCE_REQUIRED"),
    "device-nonce-mismatch": ("device nonce mismatch", "DEVICE_AUTH_NONCE_MISMATCH"),
    "device-signature": ("device signature invalid", "DEVICE_AUTH_SIGNATURE_INVALID"),
    "device-public-key": ("device public key invalid", "DEVICE_AUTH_PUBLIC_KEY_INVALID"),
}


def failure(reason: str) -> GatewayError:
    """The connect error for a failed device proof (C{reason} is its stable name)."""
    message, code = _FAILURES[reason]
    return GatewayError(INVALID_REQUEST, message, {"code": code, "reason": reason})


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64_decode(text: str) -> bytes | None:
    """base64url or standard base64, padded or not; None when it is neither."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def raw_public_key(publicKey: str) -> bytes | None:
    """The raw key bytes of a wire public key (base64 of the raw key, or a PEM)."""
    if "BEGIN" in publicKey:
        try:
            key = serialization.load_pem_public_key(publicKey.encode())
        except ValueError:
            return None
        except UnsupportedAlgorithm:  # a well-formed key of a kind this build cannot load: its SPKI
            return b64_decode("".join(line for line in publicKey.strip().splitlines() if not line.startswith("-----")))
        if isinstance(key, Ed25519PublicKey):
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        # another key type: its id is the hash of its SPKI, as in the reference
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = b64_decode(publicKey)
    return raw or None


def device_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def signing_token(auth: Mapping[str, Any] | None) -> str:
    """The credential a signature binds: token, else device token, else bootstrap token."""
    auth = auth or {}
    return auth.get("token") or auth.get("deviceToken") or auth.get("bootstrapToken") or ""


def normalize_metadata(value: str | None) -> str:
    """Trimmed, ASCII letters lowercased, nothing else changed (C{Linux} → C{linux})."""
    return (value or "").strip().translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def signed_payload(
    version: str, deviceId: str, params: Mapping[str, Any], signedAt: int, nonce: str
) -> str:
    """
    The string a device signs for a connect with C{params}: C{v3} adds the
    normalized platform and device family to the C{v2} fields.
    """
    client = params["client"]
    fields = [
        version,
        deviceId,
        client["id"],
        client["mode"],
        params.get("role", "operator"),
        ",".join(params.get("scopes", [])),
        str(signedAt),
        signing_token(params.get("auth")),
        nonce,
    ]
    if version == "v3":
        fields += [normalize_metadata(client.get("platform")), normalize_metadata(client.get("deviceFamily"))]
    return "|".join(fields)


@dataclass(frozen=True)
class VerifiedDevice:
    id: str
    #: The raw key as base64url without padding, whatever encoding the client sent.
    publicKey: str
    payloadVersion: str


def verify(params: Mapping[str, Any], challengeNonce: str, nowMs: int) -> VerifiedDevice:
    """
    Check the C{device} block of connect C{params} against this socket's challenge,
    in the reference gateway's order (id, time, nonce, signature), except that a key
    that is not an Ed25519 key is reported as such before its signature is tried.
    Raises L{GatewayError} with the C{DEVICE_AUTH_*} detail code of the first failure.
    """
    device = params["device"]
    raw = raw_public_key(device["publicKey"])
    if raw is None or device_id(raw) != device["id"]:
        raise failure("device-id-mismatch")
    signedAt = device["signedAt"]
    if abs(nowMs - signedAt) > SIGNATURE_SKEW_MS:
        raise failure("device-signature-stale")
    nonce = device["nonce"].strip()
    if not nonce:
        raise failure("device-nonce-missing")
    if nonce != challengeNonce:
        raise failure("device-nonce-mismatch")
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise failure("device-public-key") from None
    signature = b64_decode(device["signature"])
    version = None
    if signature is not None:
        version = next(
            (v for v in PAYLOAD_VERSIONS if _valid(key, signature, signed_payload(v, device["id"], params, signedAt, nonce))),
            None,
        )
    if version is None:
        raise failure("device-signature")
    return VerifiedDevice(device["id"], b64url_encode(raw), version)


def _valid(key: Ed25519PublicKey, signature: bytes, payload: str) -> bool:
    try:
        key.verify(signature, payload.encode("utf-8"))
    except InvalidSignature:
        return False
    return True


def sign(privateKey: Ed25519PrivateKey, payload: str) -> str:
    """A device signature of C{payload}, as the wire carries it."""
    return b64url_encode(privateKey.sign(payload.encode("utf-8")))
