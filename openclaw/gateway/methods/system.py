"""System state methods: C{health}, C{status}, C{system-presence}."""

from __future__ import annotations

import os
import resource
import sys
from typing import Any

from openclaw import VERSION
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best the platform offers
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def register(registry: MethodRegistry, tree, shell) -> None:
    hub = tree.hub
    health = hub.health

    def health_(params: dict, ctx: CallContext) -> dict[str, Any]:
        return health.refresh() if params.get("probe") else health.cached()

    def status(params: dict, ctx: CallContext) -> dict[str, Any]:
        admin = scopes.satisfies(ctx.scopes, scopes.ADMIN)
        result: dict[str, Any] = {
            "runtimeVersion": VERSION,
            "heartbeat": hub.agents.heartbeatStatus(),
            "channelSummary": hub.channels.summaryLines() if params.get("includeChannelSummary", True) else [],
            "queuedSystemEvents": hub.agents.heartbeats.queuedEvents(),
            "sessions": hub.agents.sessionsStatus(admin),
            "eventLoop": health.eventLoop.snapshot(),
            "processMemory": {"rssBytes": _rss_bytes()},
            "pid": os.getpid(),
            "uptimeMs": hub.uptimeMs(),
            "connections": len(hub.clients),
        }
        if params.get("includeCliProjection"):
            result["cliProjection"] = {
                "agents": {
                    "defaultId": hub.agents.defaultAgentId,
                    "rows": [{"id": a["agentId"]} for a in hub.agents.healthSummary()["agents"]],
                },
            }
        return result

    def system_presence(params: dict, ctx: CallContext) -> list[dict[str, Any]]:
        return hub.presence.entries()

    registry.add("health", scopes.NONE, health_, closed(probe={"type": "boolean"}))
    registry.add(
        "status",
        scopes.READ,
        status,
        closed(includeChannelSummary={"type": "boolean"}, includeCliProjection={"type": "boolean"}),
    )
    registry.add("system-presence", scopes.READ, system_presence, closed())
