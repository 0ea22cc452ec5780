"""
The device half of a connect: after the device proof has been verified, decide
whether the device is let in, with which scopes and which device token, using the
pairing store.

* A shared secret (or auth mode none) authenticates the connect; then the device
  must be paired for the role and scopes it asks for. The local backend helper
  (C{gateway-client}/C{backend}, direct-local) skips pairing altogether. Any other
  direct-local device is paired silently; a remote one gets a pending request and
  C{PAIRING_REQUIRED}, and admins get C{device.pair.requested}.
* Without a valid shared secret, a device token (C{auth.deviceToken}, or the token
  in C{auth.token}) authenticates within the role and scopes it was issued for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from openclaw.gateway.pairing import Claim, Issued, Pending, Refused
from openclaw.protocol import handshake
from openclaw.protocol.device import VerifiedDevice
from openclaw.protocol.handshake import Rejection

_log = Logger(namespace="gateway/devices")

_BACKEND = ("gateway-client", "backend")


@dataclass(frozen=True)
class Grant:
    """A device connect that may proceed: its scopes, and the token hello-ok returns."""

    scopes: list[str]
    deviceToken: str | None = None
    issuedAtMs: int | None = None


class DeviceRefused(Exception):
    """A refused device connect; C{wrongCredential} ones cost the failed-auth delay."""

    def __init__(self, rejection: Rejection, wrongCredential: bool) -> None:
        super().__init__(rejection.closeReason)
        self.rejection = rejection
        self.wrongCredential = wrongCredential


def remote_ip(peerIp: str, headers: Mapping[str, str], trustedProxies: tuple[str, ...]) -> str:
    """The client's address: the first X-Forwarded-For hop when a trusted proxy sent it."""
    forwarded = headers.get("x-forwarded-for")
    if forwarded and peerIp in trustedProxies:
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return peerIp


def claim_of(verified: VerifiedDevice, params: Mapping[str, Any], role: str, remoteIp: str) -> Claim:
    return Claim(
        verified.id, verified.publicKey, params["client"], role,
        tuple(dict.fromkeys(params.get("scopes", []))), remoteIp,
    )


def admit(hub, claim: Claim, params: Mapping[str, Any], shared: bool, local: bool, secretKind: str) -> Deferred:
    """Fires with a L{Grant}, or fails with L{DeviceRefused}."""
    client = params["client"]
    if shared:
        if local and (client["id"], client["mode"]) == _BACKEND:
            return succeed(Grant(list(claim.scopes)))
        d = hub.pairing.admit(claim, local, hub.connectedDevices())
        d.addCallback(_paired, hub, claim)
        return d
    presented = params.get("auth", {})
    explicit = presented.get("deviceToken")
    candidate = explicit or presented.get("token")
    if not candidate:  # a wrong password, and no token to try as a device token
        return _refused(handshake.secret_failure(secretKind, "mismatch", client, local), True)
    d = hub.pairing.admitToken(claim, candidate)
    d.addCallback(_tokenChecked, claim, client, local, secretKind, explicit is not None)
    return d


def _refused(rejection: Rejection, wrongCredential: bool) -> Deferred:
    d: Deferred = Deferred()
    d.errback(DeviceRefused(rejection, wrongCredential))
    return d


def _paired(outcome: Issued | Pending, hub, claim: Claim) -> Grant:
    now = int(hub.clock.seconds() * 1000)
    if isinstance(outcome, Issued):
        if outcome.requestId is not None:
            _log.info(
                "device pairing auto-approved device={device} role={role}", device=claim.deviceId, role=claim.role
            )
            hub.broadcast(
                "device.pair.resolved",
                {"requestId": outcome.requestId, "deviceId": claim.deviceId, "decision": "approved", "ts": now},
                dropIfSlow=True,
            )
        for deviceId in outcome.pruned:
            _log.info("device pairing pruned superseded silent pairing device={device}", device=deviceId)
        return Grant(list(claim.scopes), outcome.token, outcome.issuedAtMs)
    for old in outcome.superseded:
        hub.broadcast("device.pair.resolved", {**old, "decision": "rejected", "ts": now}, dropIfSlow=True)
    if outcome.created:
        hub.broadcast("device.pair.requested", outcome.request, dropIfSlow=True)
    _log.info(
        "device pairing requested device={device} request={request} reason={reason} remote={remote}",
        device=claim.deviceId, request=outcome.request["requestId"], reason=outcome.reason, remote=claim.remoteIp,
    )
    raise DeviceRefused(
        handshake.pairing_required(
            outcome.reason, outcome.request["requestId"], claim.deviceId, claim.role, list(claim.scopes), outcome.approved
        ),
        False,
    )


def _tokenChecked(outcome: Issued | Refused, claim: Claim, client, local: bool, secretKind: str, explicit: bool) -> Grant:
    if isinstance(outcome, Issued):
        return Grant(list(claim.scopes), outcome.token, outcome.issuedAtMs)
    if outcome.reason == "scope":
        raise DeviceRefused(handshake.device_token_failure("scope_mismatch"), True)
    if explicit:
        raise DeviceRefused(handshake.device_token_failure("device_token_mismatch"), True)
    # the token was neither the shared secret nor this device's token
    raise DeviceRefused(handshake.secret_failure(secretKind, "mismatch", client, local, retryWithDeviceToken=True), True)
