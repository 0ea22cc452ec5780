"""
C{wake}: a text for an agent's next heartbeat (C{mode: "next-heartbeat"}), or
for one now (C{mode: "now"}, or any wake naming its session). The target is the
agent's heartbeat session unless C{sessionKey} names another of its sessions.
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.sessionkeys import GLOBAL_KEY, agent_of, scoped_key
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.targets import resolve_target
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

_NONEMPTY = {"type": "string", "minLength": 1}

WAKE_PARAMS = {
    "type": "object", "required": ["mode", "text"],
    "properties": {"mode": {"enum": ["now", "next-heartbeat"]}, "text": _NONEMPTY, "sessionKey": _NONEMPTY,
                   "agentId": _NONEMPTY},
}


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    def wake(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, sessionKey = params.get("agentId"), params.get("sessionKey")
        if sessionKey is not None:
            key = scoped_key(sessionKey, agentId or runtime.defaultAgentId)
            if key == GLOBAL_KEY:
                return {"ok": False, "reason": "unwakeable-session-key"}
            if key.split(":")[2:3] == ["subagent"]:
                raise GatewayError(INVALID_REQUEST, "wake sessionKey cannot target a subagent session")
            if agentId is not None and agent_of(key, agentId) != agentId.strip().lower():
                raise GatewayError(
                    INVALID_REQUEST,
                    "wake agentId contradicts the agent that owns sessionKey; pass a single canonical wake target",
                )
        agentId, key = resolve_target(runtime, agentId, sessionKey)
        runtime.heartbeats.wake(agentId, key if sessionKey is not None else None, params["text"], params["mode"] == "now")
        return {"ok": True}

    registry.add("wake", scopes.WRITE, wake, WAKE_PARAMS)
