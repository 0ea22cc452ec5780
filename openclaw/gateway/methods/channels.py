"""C{channels.status}: what the channel manager knows of every channel account."""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, gateway) -> None:
    hub = gateway.hub
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
