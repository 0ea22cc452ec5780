"""
The connect handshake as pure decisions: protocol window, role, the shared-secret
verdict, the device proof, the scopes a device-less client keeps, and the exact
error each failure sends before the socket closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from openclaw.protocol import device
from openclaw.protocol.device import VerifiedDevice
from openclaw.protocol.errors import INVALID_REQUEST, NOT_PAIRED, UNAVAILABLE, GatewayError
from openclaw.protocol.validation import check

PROTOCOL_VERSION = 4
MIN_PROBE_PROTOCOL = 3
LEGACY_NODE_PROTOCOL = 3

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_POLICY = 1008
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN = 1013

ROLES = ("operator", "node")
CONTROL_UI_CLIENTS = frozenset({"openclaw-control-ui", "webchat-ui"})
BROWSER_CLIENTS = CONTROL_UI_CLIENTS | {"webchat"}

#: Device-less clients that keep the scopes they ask for on a direct-local connect.
_TRUSTED_LOCAL = frozenset({("cli", "cli"), ("gateway-client", "backend")})


@dataclass
class Rejection(Exception):
    """A failed handshake: the error (if any) to answer with, then the close."""

    error: GatewayError | None
    closeCode: int
    closeReason: str


def _reject(error: GatewayError, code: int = CLOSE_POLICY) -> Rejection:
    return Rejection(error, code, error.message)


def invalid_frame() -> Rejection:
    """A first frame that is JSON but not a request frame (or nests too deeply)."""
    return Rejection(None, CLOSE_POLICY, "invalid request frame")


def first_request(frame: Any) -> tuple[str, dict[str, Any]]:
    """
    Check the first frame of a socket: a request frame whose method is C{connect}
    with valid params. Returns C{(requestId, params)}.
    """
    if check("RequestFrame", frame) is not None:
        raise invalid_frame()
    if frame["method"] != "connect":
        raise _reject(
            GatewayError(INVALID_REQUEST, "invalid handshake: first request must be connect"),
        )
    params = frame.get("params", {})
    problem = check("ConnectParams", params)
    if problem is not None:
        raise _reject(GatewayError(INVALID_REQUEST, f"invalid connect params: {problem}"))
    return frame["id"], params


def negotiate(params: Mapping[str, Any]) -> int:
    """The protocol we speak with this client (always 4), or a 1002 rejection."""
    low, high = params["minProtocol"], params["maxProtocol"]
    mode = params["client"]["mode"]
    if low <= PROTOCOL_VERSION <= high:
        return PROTOCOL_VERSION
    if mode == "probe" and high >= MIN_PROBE_PROTOCOL and low <= PROTOCOL_VERSION:
        return PROTOCOL_VERSION
    if params.get("role") == "node" and mode == "node" and low <= LEGACY_NODE_PROTOCOL <= high:
        return PROTOCOL_VERSION
    raise _reject(
        GatewayError(
            INVALID_REQUEST,
            "protocol mismatch",
            {
                "code": "PROTOCOL_MISMATCH",
                "clientMinProtocol": low,
                "clientMaxProtocol": high,
                "expectedProtocol": PROTOCOL_VERSION,
                "minimumProbeProtocol": MIN_PROBE_PROTOCOL,
            },
        ),
        CLOSE_PROTOCOL_ERROR,
    )


def role_of(params: Mapping[str, Any]) -> str:
    role = params.get("role", "operator")
    if role not in ROLES:
        raise _reject(GatewayError(INVALID_REQUEST, "invalid role"))
    return role


def origin_not_allowed() -> Rejection:
    return _reject(
        GatewayError(
            INVALID_REQUEST,
            "origin not allowed (open the Control UI from the gateway host or allow it in "
            "gateway.controlUi.allowedOrigins)",
            {"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": "origin missing or invalid"},
        )
    )


def restarting() -> Rejection:
    """A connect that arrives while the gateway is stopping or restarting."""
    return Rejection(
        GatewayError(
            UNAVAILABLE,
            "connect unavailable during gateway restart/suspension",
            retryable=True,
            retryAfterMs=1000,
        ),
        CLOSE_TRY_AGAIN,
        "gateway restart in progress",
    )


def device_identity_required() -> Rejection:
    return _reject(
        GatewayError(NOT_PAIRED, "device identity required", {"code": "DEVICE_IDENTITY_REQUIRED"})
    )


def _hint(kind: str, reason: str, client: Mapping[str, Any], isLocal: bool) -> str:
    if client["id"] in BROWSER_CLIENTS:
        if kind == "token":
            if reason == "missing":
                return "paste in Control UI settings or openclaw doctor --generate-gateway-token; restart"
            return "open the dashboard URL and paste the token in Control UI settings"
        return "enter the password in Control UI settings"
    if client["mode"] == "cli":
        if isLocal:
            return f"use this gateway's gateway.auth.{kind} or pair the device"
        return f"set gateway.remote.{kind} to match gateway.auth.{kind}"
    return f"provide gateway auth {kind}"


def secret_failure(
    kind: str, reason: str, client: Mapping[str, Any], isLocal: bool, retryWithDeviceToken: bool = False
) -> Rejection:
    """
    A wrong or missing shared secret. C{kind} is C{token} or C{password};
    C{reason} is C{missing} or C{mismatch}. C{retryWithDeviceToken}: a device sent a
    token that was neither the secret nor its device token, and may retry with the latter.
    """
    hint = _hint(kind, reason, client, isLocal)
    nextStep = "update_auth_configuration" if reason == "missing" else "update_auth_credentials"
    return _reject(
        GatewayError(
            INVALID_REQUEST,
            f"unauthorized: gateway {kind} {reason} ({hint})",
            {
                "code": f"AUTH_{kind.upper()}_{reason.upper()}",
                "authReason": f"{kind}_{reason}",
                "canRetryWithDeviceToken": retryWithDeviceToken,
                "recommendedNextStep": "retry_with_device_token" if retryWithDeviceToken else nextStep,
            },
        )
    )


_DEVICE_TOKEN_FAILURES = {
    "device_token_mismatch": (
        "unauthorized: device token mismatch (rotate/reissue device token)",
        "AUTH_DEVICE_TOKEN_MISMATCH",
        "update_auth_credentials",
    ),
    "scope_mismatch": (
        "unauthorized: device token scope mismatch (re-pair or approve scope upgrade)",
        "AUTH_SCOPE_MISMATCH",
        "review_auth_configuration",
    ),
}


def device_token_failure(authReason: str) -> Rejection:
    """A device token that is not this device's (C{device_token_mismatch}) or too narrow (C{scope_mismatch})."""
    message, code, nextStep = _DEVICE_TOKEN_FAILURES[authReason]
    return _reject(
        GatewayError(
            INVALID_REQUEST,
            message,
            {"code": code, "authReason": authReason, "canRetryWithDeviceToken": False, "recommendedNextStep": nextStep},
        )
    )


def device_proof(params: Mapping[str, Any], challengeNonce: str, nowMs: int) -> VerifiedDevice:
    """The verified C{device} block, or the C{DEVICE_AUTH_*} rejection (close 1008)."""
    try:
        return device.verify(params, challengeNonce, nowMs)
    except GatewayError as error:
        raise _reject(error) from None


_PAIRING_REASONS = {
    "not-paired": ("device is not approved yet", "Approve this device from the pending pairing requests."),
    "role-upgrade": (
        "device is asking for a higher role than currently approved",
        "Review the requested role upgrade, then approve the pending request.",
    ),
    "scope-upgrade": (
        "device is asking for more scopes than currently approved",
        "Review the requested scopes, then approve the pending upgrade.",
    ),
    "metadata-upgrade": (
        "device identity changed and must be re-approved",
        "Review the refreshed device details, then approve the pending request.",
    ),
}


def pairing_required(
    reason: str,
    requestId: str,
    deviceId: str,
    role: str,
    scopes: list[str],
    approved: Mapping[str, list[str]] | None = None,
) -> Rejection:
    """
    A device that must be approved first (C{NOT_PAIRED}/C{PAIRING_REQUIRED}); the
    close reason names the pending request. C{approved}: what an upgrade starts from.
    """
    requirement, hint = _PAIRING_REASONS[reason]
    message = f"pairing required: {requirement}"
    details: dict[str, Any] = {
        "code": "PAIRING_REQUIRED",
        "reason": reason,
        "requestId": requestId,
        "remediationHint": hint,
        "deviceId": deviceId,
        "requestedRole": role,
        "requestedScopes": scopes,
    }
    if approved is not None:
        details.update(approvedRoles=approved["roles"], approvedScopes=approved["scopes"])
    return Rejection(GatewayError(NOT_PAIRED, message, details), CLOSE_POLICY, f"{message} (requestId: {requestId})")


def rate_limited(retryAfterMs: int) -> Rejection:
    return _reject(
        GatewayError(
            INVALID_REQUEST,
            "unauthorized: too many failed authentication attempts (retry later)",
            {
                "code": "AUTH_RATE_LIMITED",
                "authReason": "rate_limited",
                "recommendedNextStep": "wait_then_retry",
            },
            retryable=True,
            retryAfterMs=retryAfterMs,
        )
    )


def granted_scopes(params: Mapping[str, Any], isLocal: bool) -> list[str]:
    """
    What a device-less client with a valid shared secret gets: exactly what it asked
    for when it is the local CLI or the local backend helper, nothing otherwise.
    """
    client = params["client"]
    if isLocal and (client["id"], client["mode"]) in _TRUSTED_LOCAL:
        return list(dict.fromkeys(params.get("scopes", [])))
    return []
