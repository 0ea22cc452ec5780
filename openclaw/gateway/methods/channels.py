"""
C{channels.status}: what the channel manager knows of every channel account;
C{channels.start} / C{channels.stop}: one channel (or account) up or down now,
whatever the crash-loop breaker held back.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


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
