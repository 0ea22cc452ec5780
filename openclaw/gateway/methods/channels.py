"""
C{channels.status}: what the channel manager knows of every channel account;
C{channels.start} / C{channels.stop} / C{channels.logout}: one channel (or
account) up or down now, whatever the crash-loop breaker held back;
C{channels.pairing.list|approve|dismiss}: DM pairing requests. (C{send}, which
delivers through a channel account, is in L{openclaw.gateway.methods.send}.)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from openclaw.channels.kinds import KINDS
from openclaw.channels.store import PAIRING_TTL_MS, PENDING_PER_ACCOUNT
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _label(channel: str) -> str:
    return KINDS[channel].label if channel in KINDS else channel


def register(registry: MethodRegistry, tree, shell) -> None:
    hub = tree.hub
    clock = hub.clock

    def status(params: dict, ctx: CallContext):
        ts = int(clock.seconds() * 1000)

        def shaped(channels: dict[str, Any]) -> dict[str, Any]:
            eventLoop = hub.health.eventLoop.snapshot()
            # channels.status declares an integer interval (health allows any number).
            eventLoop["intervalMs"] = round(eventLoop["intervalMs"])
            result = {"ts": ts}
            for key, value in channels.items():  # the reference gateway's key order
                result[key] = value
                if key == "channelMeta":
                    result["eventLoop"] = eventLoop
            return result

        d = hub.channels.status(clock, params.get("probe", False), params.get("timeoutMs"), params.get("channel"))
        return d.addCallback(shaped)

    registry.add(
        "channels.status",
        scopes.READ,
        status,
        closed(
            probe={"type": "boolean"},
            timeoutMs={"type": "integer", "minimum": 0},
            channel={"type": "string", "minLength": 1},
        ),
    )

    def _account(params: dict) -> str:
        return params.get("accountId") or "default"

    def start(params: dict, ctx: CallContext) -> dict[str, Any]:
        channel = params["channel"]
        accounts = hub.channels.accounts(channel, params.get("accountId"))
        result: dict[str, Any] = {"channel": channel, "accountId": _account(params)}
        if not accounts:
            return {**result, "started": False, "outcome": {"status": "skipped", "reason": "channel not configured"}}
        if not hub.channels.startChannel(channel, params.get("accountId")):
            return {**result, "started": False, "outcome": {"status": "skipped", "reason": "already running"}}
        return {**result, "started": True, "outcome": {"status": "handed-off"}}

    def stop(params: dict, ctx: CallContext):
        d = hub.channels.stopChannel(params["channel"], params.get("accountId"))
        return d.addCallback(lambda stopped: {"channel": params["channel"], "accountId": _account(params), "stopped": bool(stopped)})

    one = {
        "type": "object",
        "required": ["channel"],
        "properties": {"channel": {"type": "string", "minLength": 1}, "accountId": {"type": "string"}},
        "additionalProperties": False,
    }
    registry.add("channels.start", scopes.ADMIN, start, one)
    registry.add("channels.stop", scopes.ADMIN, stop, one)
    # IRC and Telegram keep no login state: a logout is a stop that keeps the credentials.
    registry.add("channels.logout", scopes.ADMIN, stop, one)

    manager = hub.channels

    def _store():
        if manager.inbound is None:
            raise GatewayError(UNAVAILABLE, "channel store is not running; retry once the gateway is up", retryable=True)
        return manager.store

    def pairing_list(params: dict, ctx: CallContext):
        channel, accountId = params.get("channel"), params.get("accountId")
        accounts = [
            {"channel": r.channelId, "channelLabel": _label(r.channelId), "accountId": r.accountId,
             "notifySupported": r.transport is not None}
            for svc in manager for r in svc.runners()
            if channel in (None, r.channelId) and accountId in (None, r.accountId)
        ]

        def shaped(requests: list) -> dict[str, Any]:
            return {
                "accounts": accounts,
                "requests": [
                    {"requestId": r.code, "channel": r.channel, "channelLabel": _label(r.channel),
                     "accountId": r.accountId, "senderId": r.senderId, "senderLabel": r.senderLabel or r.senderId,
                     "createdAt": _iso(r.createdAtMs), "lastSeenAt": _iso(r.lastSeenAtMs),
                     "expiresAt": _iso(r.expiresAtMs), "notifySupported": manager.runner(r.channel, r.accountId) is not None}
                    for r in requests
                ],
                "commandOwnerConfigured": bool(manager.settings.inbound.ownerAllowFrom),
                "limits": {"pendingPerAccount": PENDING_PER_ACCOUNT, "ttlMs": PAIRING_TTL_MS},
            }

        return _store().pairingRequests(channel, accountId).addCallback(shaped)

    def _unknown(params: dict) -> GatewayError:
        return GatewayError(
            INVALID_REQUEST,
            f"no pending pairing request {params['requestId']} for {params['channel']} account {params['accountId']}",
        )

    def pairing_approve(params: dict, ctx: CallContext):
        _store()

        def shaped(result: tuple) -> dict[str, Any]:
            request, notification = result
            if request is None:
                raise _unknown(params)
            if not params.get("bootstrapCommandOwner"):
                owner = "not-requested"
            elif manager.settings.inbound.ownerAllowFrom:
                owner = "already-configured"
            else:
                owner = "unavailable"  # set commands.ownerAllowFrom in the config
            return {"requestId": request.code, "senderId": request.senderId, "notification": notification,
                    "commandOwnerBootstrap": owner}

        d = manager.inbound.approve(params["channel"], params["accountId"], params["requestId"], bool(params.get("notify")))
        return d.addCallback(shaped)

    def pairing_dismiss(params: dict, ctx: CallContext):
        def shaped(request: Any) -> dict[str, Any]:
            if request is None:
                raise _unknown(params)
            return {"requestId": request.code, "senderId": request.senderId}

        return _store().dismissPairing(params["channel"], params["accountId"], params["requestId"]).addCallback(shaped)

    text = {"type": "string", "minLength": 1}
    registry.add("channels.pairing.list", scopes.ADMIN, pairing_list, closed(channel=text, accountId=text))
    pairing_one = {
        "type": "object", "required": ["channel", "accountId", "requestId"], "additionalProperties": False,
        "properties": {"channel": text, "accountId": text, "requestId": text},
    }
    registry.add("channels.pairing.approve", scopes.ADMIN, pairing_approve, {
        **pairing_one,
        "properties": {**pairing_one["properties"], "notify": {"type": "boolean"},
                       "bootstrapCommandOwner": {"type": "boolean"}},
    })
    registry.add("channels.pairing.dismiss", scopes.ADMIN, pairing_dismiss, pairing_one)
