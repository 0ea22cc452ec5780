"""The device proof as pure functions: every DEVICE_AUTH_* code, v3 and v2, key encodings."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from openclaw.protocol import device
from openclaw.protocol.errors import GatewayError
from openclaw.protocol.handshake import Rejection, device_proof
from tests.support.device_keys import DeviceKey, b64url, device_params

NOW = 1_795_485_903_277
CHALLENGE = {"nonce": "5b0e1a43-0b55-4b0b-9d39-3f4c2d7e8a11", "ts": NOW}
TOKEN = "gateway-token"


@pytest.fixture
def key() -> DeviceKey:
    return DeviceKey()


def params_for(key: DeviceKey, **kwargs):
    kwargs.setdefault("auth", {"token": TOKEN})
    return device_params(key, CHALLENGE, **kwargs)


def failure_of(params, nonce=CHALLENGE["nonce"], now=NOW) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        device.verify(params, nonce, now)
    return caught.value


def test_v3_signature_verifies_and_reports_the_raw_key(key):
    verified = device.verify(params_for(key), CHALLENGE["nonce"], NOW)
    assert verified == device.VerifiedDevice(key.id, key.publicKey, "v3")
    assert len(verified.publicKey) == 43 and len(verified.id) == 64


def test_v2_signature_is_accepted_after_v3(key):
    assert device.verify(params_for(key, version="v2"), CHALLENGE["nonce"], NOW).payloadVersion == "v2"


def test_v3_binds_platform_and_family_lowercased_ascii(key):
    params = params_for(key, platform=" Linux x86_64 ", deviceFamily="Desktop")
    assert key.payload("v3", params, NOW, CHALLENGE["nonce"]).endswith("|linux x86_64|desktop")
    assert device.verify(params, CHALLENGE["nonce"], NOW).payloadVersion == "v3"
    params["client"]["platform"] = "windows"  # signed as linux: neither v3 nor v2 (v2 lacks it, but the sig is v3)
    assert failure_of(params).details == {"code": "DEVICE_AUTH_SIGNATURE_INVALID", "reason": "device-signature"}


def test_signed_payload_matches_the_notes_example(key):
    params = params_for(key)
    assert device.signed_payload("v3", key.id, params, NOW, "n") == (
        f"v3|{key.id}|cli|cli|operator|operator.read|{NOW}|{TOKEN}|n|linux|linux"
    )
    assert device.signed_payload("v2", key.id, params, NOW, "n") == (
        f"v2|{key.id}|cli|cli|operator|operator.read|{NOW}|{TOKEN}|n"
    )


@pytest.mark.parametrize(
    "auth, signed",
    [
        ({"token": "t", "deviceToken": "d"}, "t"),
        ({"deviceToken": "d", "bootstrapToken": "b"}, "d"),
        ({"bootstrapToken": "b"}, "b"),
        ({"password": "p"}, ""),
        (None, ""),
    ],
)
def test_signing_token_precedence(auth, signed):
    assert device.signing_token(auth) == signed


def test_device_id_mismatch(key):
    params = params_for(key, id="0" * 64)
    error = failure_of(params)
    assert (error.code, error.message) == ("INVALID_REQUEST", "device identity mismatch")
    assert error.details == {"code": "DEVICE_AUTH_DEVICE_ID_MISMATCH", "reason": "device-id-mismatch"}


def test_undecodable_public_key_is_an_id_mismatch(key):
    assert failure_of(params_for(key, publicKey="%%%")).details["code"] == "DEVICE_AUTH_DEVICE_ID_MISMATCH"


@pytest.mark.parametrize("offset", [120_001, -120_001])
def test_stale_signature(key, offset):
    params = params_for(key, signedAt=NOW - offset)
    error = failure_of(params)
    assert error.message == "device signature expired"
    assert error.details == {"code": "DEVICE_AUTH_SIGNATURE_EXPIRED", "reason": "device-signature-stale"}


def test_signed_at_within_skew_is_fine(key):
    assert device.verify(params_for(key, signedAt=NOW - 120_000), CHALLENGE["nonce"], NOW)


def test_blank_nonce(key):
    error = failure_of(params_for(key, nonce="   "))
    assert error.message == "device nonce required"
    assert error.details == {"code": "DEVICE_AUTH_NONCE_REQUIRED", "reason": "device-nonce-missing"}


def test_nonce_of_another_challenge(key):
    error = failure_of(params_for(key, nonce="another-nonce"))
    assert error.message == "device nonce mismatch"
    assert error.details == {"code": "DEVICE_AUTH_NONCE_MISMATCH", "reason": "device-nonce-mismatch"}


def test_bad_signature(key):
    error = failure_of(params_for(key, signature=key.sign("something else")))
    assert error.message == "device signature invalid"
    assert error.details == {"code": "DEVICE_AUTH_SIGNATURE_INVALID", "reason": "device-signature"}


def test_signature_by_another_key(key):
    other = DeviceKey()
    params = params_for(key)
    params["device"]["signature"] = other.sign(key.payload("v3", params, NOW, CHALLENGE["nonce"]))
    assert failure_of(params).details["code"] == "DEVICE_AUTH_SIGNATURE_INVALID"


def test_signature_over_other_scopes_fails(key):
    params = params_for(key)
    params["scopes"] = ["operator.admin"]
    assert failure_of(params).details["code"] == "DEVICE_AUTH_SIGNATURE_INVALID"


def test_public_key_that_is_not_ed25519(key):
    """A key whose id matches but that is no Ed25519 key (here 31 bytes)."""
    raw = key.raw[:31]
    params = params_for(key, publicKey=b64url(raw), id=device.device_id(raw))
    error = failure_of(params)
    assert error.message == "device public key invalid"
    assert error.details == {"code": "DEVICE_AUTH_PUBLIC_KEY_INVALID", "reason": "device-public-key"}


def test_rsa_pem_key_is_not_a_device_key(key):
    rsa = generate_private_key(public_exponent=65537, key_size=1024).public_key()
    spki = rsa.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = rsa.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    params = params_for(key, publicKey=pem, id=device.device_id(spki))
    assert failure_of(params).details["code"] == "DEVICE_AUTH_PUBLIC_KEY_INVALID"


def test_pem_key_of_an_unsupported_algorithm_is_not_a_device_key(key):
    """An EC key on a curve cryptography cannot load (secp112r1): a refusal, not an exception."""
    ecPublicKey, secp112r1 = bytes.fromhex("06072a8648ce3d0201"), bytes.fromhex("06052b81040006")
    point = b"\x04" + b"\x01" * 28
    spki = b"\x30\x32\x30\x10" + ecPublicKey + secp112r1 + b"\x03\x1e\x00" + point
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n"
    params = params_for(key, publicKey=pem, id=device.device_id(spki))
    assert failure_of(params).details["code"] == "DEVICE_AUTH_PUBLIC_KEY_INVALID"


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: base64.b64encode(k.raw).decode(),  # standard, padded
        lambda k: base64.urlsafe_b64encode(k.raw).decode(),  # url-safe, padded
        lambda k: k.private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    ],
)
def test_other_public_key_encodings_are_accepted_and_normalized(key, encode):
    verified = device.verify(params_for(key, publicKey=encode(key)), CHALLENGE["nonce"], NOW)
    assert verified.publicKey == key.publicKey


def test_checks_run_in_order_id_first(key):
    """Everything is wrong; the id mismatch is reported."""
    params = params_for(key, id="f" * 64, signedAt=0, nonce="x", signature="AAAA")
    assert failure_of(params).details["code"] == "DEVICE_AUTH_DEVICE_ID_MISMATCH"
    params = params_for(key, signedAt=0, nonce="x", signature="AAAA")
    assert failure_of(params).details["code"] == "DEVICE_AUTH_SIGNATURE_EXPIRED"


def test_device_proof_rejects_with_close_1008(key):
    with pytest.raises(Rejection) as caught:
        device_proof(params_for(key, nonce="stale"), CHALLENGE["nonce"], NOW)
    assert (caught.value.closeCode, caught.value.closeReason) == (1008, "device nonce mismatch")
    assert device_proof(params_for(key), CHALLENGE["nonce"], NOW).id == key.id
