"""
C{last-heartbeat}: the payload of the most recent C{heartbeat} event (None before
the first beat); the Control UI also times this call to show the gateway's
latency, so it answers from memory, at once. C{set-heartbeats}: heartbeat
processing on or off (off: every beat is skipped as C{disabled}; the timers keep
their cadence).
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    heartbeats = tree.agents.heartbeats

    def last_heartbeat(params: dict, ctx: CallContext) -> dict[str, Any] | None:
        return heartbeats.last

    def set_heartbeats(params: dict, ctx: CallContext) -> dict[str, Any]:
        heartbeats.enabled = params["enabled"]
        return {"ok": True, "enabled": heartbeats.enabled}

    registry.add("last-heartbeat", scopes.READ, last_heartbeat, closed())
    registry.add("set-heartbeats", scopes.ADMIN, set_heartbeats, {
        "type": "object", "required": ["enabled"], "additionalProperties": False,
        "properties": {"enabled": {"type": "boolean"}},
    })
    registry.addEvent("heartbeat")
