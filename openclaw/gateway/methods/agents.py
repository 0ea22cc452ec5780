"""
C{agents.list} and C{agent.identity.get}: the configured agents, as the current
settings snapshot names them (L{openclaw.agents.catalog}).
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.catalog import UnknownAgent, agent_identity, agents_list
from openclaw.agents.sessionkeys import agent_of
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

AGENT_ID = {"type": "string", "minLength": 1}
SESSION_KEY = {"type": "string", "minLength": 1}


def unknown_agent(e: UnknownAgent) -> GatewayError:
    """The protocol's answer to a request naming an agent the config does not have."""
    return GatewayError(
        INVALID_REQUEST, f'unknown agent id "{e.agentId}"', {"code": "UNKNOWN_AGENT_ID", "agentId": e.agentId}
    )


def agent_for(settings: Any, params: dict) -> str:
    """The agent a request is about: C{agentId}, else the agent of C{sessionKey}, else the default."""
    default = settings.agents.defaultAgentId
    if params.get("agentId"):
        return params["agentId"]
    if params.get("sessionKey"):
        return agent_of(params["sessionKey"], default)
    return default


def register(registry: MethodRegistry, tree, shell) -> None:
    def list_agents(params: dict, ctx: CallContext) -> dict[str, Any]:
        return agents_list(tree.settings)

    def identity(params: dict, ctx: CallContext) -> dict[str, Any]:
        try:
            return agent_identity(tree.settings, agent_for(tree.settings, params))
        except UnknownAgent as e:
            raise unknown_agent(e) from None

    registry.add("agents.list", scopes.READ, list_agents, closed())
    registry.add("agent.identity.get", scopes.READ, identity, closed(agentId=AGENT_ID, sessionKey={"type": "string"}))
