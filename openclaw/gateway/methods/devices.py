"""
Device pairing methods: C{device.pair.list|approve|reject|remove} and
C{device.token.rotate|revoke}, all with C{operator.pairing} (admin satisfies it).

A caller that authenticated as a paired device and is not an admin manages only its
own device. Approving operator scopes also needs the caller to hold them, so a
pairing-only caller cannot mint an admin device. Removing a device, or rotating or
revoking one of its tokens, disconnects its live connections (C{4001}) right
after the answer is sent.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.pairing import Forbidden
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

_log = Logger(namespace="gateway/devices")

CLOSE_CLIENT_INVALIDATED = 4001

_ID = {"type": "string", "minLength": 1}


def _params(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties, "additionalProperties": False}


def _denied(what: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, what)


def _own_device_only(ctx: CallContext) -> str | None:
    """The device a non-admin, device-authenticated caller is confined to."""
    if ctx.deviceId is not None and not scopes.satisfies(ctx.scopes, scopes.ADMIN):
        return ctx.deviceId
    return None


def register(registry: MethodRegistry, tree, shell) -> None:
    hub = tree.hub
    store = hub.pairing
    registry.addEvent("device.pair.requested")  # broadcast by deviceauth when a device asks
    registry.addEvent("device.pair.resolved")

    def now() -> int:
        return int(hub.clock.seconds() * 1000)

    def resolved(requestId: str, deviceId: str, decision: str) -> None:
        hub.broadcast(
            "device.pair.resolved",
            {"requestId": requestId, "deviceId": deviceId, "decision": decision, "ts": now()},
            dropIfSlow=True,
        )

    def disconnect(deviceId: str, reason: str, role: str | None = None) -> None:
        """After the answer has gone out: close the device's live connections."""

        def close() -> None:
            for conn in hub.deviceConnections(deviceId, role):
                conn.closeWith(CLOSE_CLIENT_INVALIDATED, f"client invalidated: {reason}")

        hub.clock.callLater(0, close)

    async def own_request(requestId: str, ctx: CallContext, what: str) -> None:
        confined = _own_device_only(ctx)
        if confined is None:
            return
        request = await store.pendingRequest(requestId)
        if request is None or request["deviceId"] != confined or request.get("role") != "operator":
            raise _denied(what)

    def confine(deviceId: str, ctx: CallContext, what: str) -> None:
        confined = _own_device_only(ctx)
        if confined is not None and confined != deviceId.strip():
            raise _denied(what)

    async def pair_list(params: dict, ctx: CallContext) -> dict[str, Any]:
        listing = await store.list(hub.connectedDevices())
        confined = _own_device_only(ctx)
        if confined is not None:
            listing = {key: [e for e in entries if e["deviceId"] == confined] for key, entries in listing.items()}
        return listing

    async def pair_approve(params: dict, ctx: CallContext) -> dict[str, Any]:
        requestId = params["requestId"].strip()
        await own_request(requestId, ctx, "device pairing approval denied")
        outcome = await store.approve(requestId, ctx.scopes)
        if outcome is None:
            raise GatewayError(INVALID_REQUEST, "unknown requestId")
        if isinstance(outcome, Forbidden):  # the caller lacks a scope it would grant
            raise _denied(f"missing scope: {outcome.scope}")
        _log.info("device pairing approved device={device} role={role}", device=outcome["deviceId"], role=outcome.get("role"))
        resolved(requestId, outcome["deviceId"], "approved")
        return {"requestId": requestId, "device": outcome}

    async def pair_reject(params: dict, ctx: CallContext) -> dict[str, Any]:
        requestId = params["requestId"].strip()
        await own_request(requestId, ctx, "device pairing rejection denied")
        outcome = await store.reject(requestId)
        if outcome is None:
            raise GatewayError(INVALID_REQUEST, "unknown requestId")
        _log.info("device pairing rejected device={device}", device=outcome["deviceId"])
        resolved(requestId, outcome["deviceId"], "rejected")
        return outcome

    async def pair_remove(params: dict, ctx: CallContext) -> dict[str, Any]:
        confine(params["deviceId"], ctx, "device pairing removal denied")
        outcome = await store.remove(params["deviceId"])
        if outcome is None:
            raise GatewayError(INVALID_REQUEST, "unknown deviceId")
        _log.info("device pairing removed device={device}", device=outcome["deviceId"])
        disconnect(outcome["deviceId"], "device-pair-removed")
        return outcome

    async def token_rotate(params: dict, ctx: CallContext) -> dict[str, Any]:
        deviceId, role = params["deviceId"].strip(), params["role"].strip()
        confine(deviceId, ctx, "device token rotation denied")
        outcome = await store.rotate(deviceId, role, params.get("scopes"), ctx.scopes)
        if outcome is None:
            raise GatewayError(INVALID_REQUEST, "unknown deviceId/role")
        if isinstance(outcome, Forbidden):
            raise _denied("device token rotation denied")
        token, granted, rotatedAt = outcome
        _log.info("device token rotated device={device} role={role}", device=deviceId, role=role)
        disconnect(deviceId, "device-token-rotated", role)
        result: dict[str, Any] = {"deviceId": deviceId, "role": role, "scopes": granted, "rotatedAtMs": rotatedAt}
        if ctx.deviceId == deviceId:  # only the device itself receives its new secret
            result.update(token=token, tokenDelivery="in-band")
        else:
            result["tokenDelivery"] = "withheld-cross-device"
        return result

    async def token_revoke(params: dict, ctx: CallContext) -> dict[str, Any]:
        deviceId, role = params["deviceId"].strip(), params["role"].strip()
        confine(deviceId, ctx, "device token revocation denied")
        outcome = await store.revoke(deviceId, role, ctx.scopes)
        if outcome is None:
            raise GatewayError(INVALID_REQUEST, "unknown deviceId/role")
        if isinstance(outcome, Forbidden):
            raise _denied("device token revocation denied")
        _log.info("device token revoked device={device} role={role}", device=deviceId, role=role)
        disconnect(deviceId, "device-token-revoked", role)
        return {"deviceId": deviceId, "role": role, "revokedAtMs": outcome}

    pairing = scopes.PAIRING
    registry.add("device.pair.list", pairing, pair_list, _params())
    registry.add("device.pair.approve", pairing, pair_approve, _params(("requestId",), requestId=_ID))
    registry.add("device.pair.reject", pairing, pair_reject, _params(("requestId",), requestId=_ID))
    registry.add("device.pair.remove", pairing, pair_remove, _params(("deviceId",), deviceId=_ID))
    registry.add(
        "device.token.rotate", pairing, token_rotate,
        _params(("deviceId", "role"), deviceId=_ID, role=_ID, scopes={"type": "array", "items": _ID}),
    )
    registry.add("device.token.revoke", pairing, token_revoke, _params(("deviceId", "role"), deviceId=_ID, role=_ID))
