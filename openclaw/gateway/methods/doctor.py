"""
C{doctor.memory.status}: memory readiness for C{openclaw doctor}. This gateway has
no memory search runtime yet, and says so in the reference gateway's own shape for
that case (C{searchRuntimeRegistered: false}, embeddings not available).
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError


def register(registry: MethodRegistry, tree, shell) -> None:
    agents = tree.hub.agents

    def memory_status(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId = params.get("agentId") or agents.defaultAgentId
        known = [a["agentId"] for a in agents.healthSummary()["agents"]]
        if agentId not in known:
            raise GatewayError(INVALID_REQUEST, f'unknown agent id "{agentId}"')
        return {
            "agentId": agentId,
            "searchRuntimeRegistered": False,
            "embedding": {"ok": False, "error": "memory search unavailable"},
        }

    registry.add(
        "doctor.memory.status",
        scopes.READ,
        memory_status,
        closed(agentId={"type": "string", "minLength": 1}, probe={"type": "boolean"}, deep={"type": "boolean"}),
    )
