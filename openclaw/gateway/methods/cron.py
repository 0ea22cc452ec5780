"""
C{cron.list} and C{cron.status}: scheduled jobs. This gateway accepts a C{cron}
config section but runs no job scheduler (heartbeats have their own, in
L{openclaw.agents.heartbeat}), so no job exists: the list is empty and the status
says the scheduler is off, as the reference gateway answers with cron disabled.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes

DEFAULT_LIMIT = 50


def _choice(*values: str) -> dict[str, Any]:
    return {"enum": list(values)}


def register(registry: MethodRegistry, tree, shell) -> None:
    def list_jobs(params: dict, ctx: CallContext) -> dict[str, Any]:
        offset = params.get("offset", 0)
        return {
            "jobs": [],
            "total": 0,
            "offset": offset,
            "limit": params.get("limit", DEFAULT_LIMIT),
            "hasMore": False,
            "nextOffset": None,
        }

    def status(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"enabled": False, "jobs": 0, "nextWakeAtMs": None}

    registry.add(
        "cron.list",
        scopes.READ,
        list_jobs,
        closed(
            agentId={"type": "string", "minLength": 1},
            includeDisabled={"type": "boolean"},
            includeDeliveryPreviews={"type": "boolean"},
            compact={"type": "boolean"},
            limit={"type": "integer", "minimum": 1, "maximum": 200},
            offset={"type": "integer", "minimum": 0},
            query={"type": "string"},
            enabled=_choice("all", "enabled", "disabled"),
            scheduleKind=_choice("all", "at", "every", "cron", "on-exit", "stream"),
            lastRunStatus=_choice("all", "ok", "error", "skipped", "unknown"),
            trigger=_choice("all", "conditional", "unconditional"),
            sortBy=_choice("nextRunAtMs", "updatedAtMs", "name"),
            sortDir=_choice("asc", "desc"),
        ),
    )
    registry.add("cron.status", scopes.READ, status, closed())
