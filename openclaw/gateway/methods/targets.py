"""
What the run-starting methods (C{agent}, C{chat.*}) share: which agent and session
a request names, and params schemas that accept the published protocol's fields.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from openclaw.agents.sessionkeys import GLOBAL_KEY, agent_of, scoped_key
from openclaw.agents.settings import AgentConfigError, normalise_agent_id
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError


def params_schema(required: Iterable[str], typed: Mapping[str, Any], ignored: Iterable[str]) -> dict[str, Any]:
    """
    A closed params schema: C{typed} properties are checked, C{ignored} ones (fields
    of the published protocol this gateway does not act on) are accepted as they come.
    """
    properties = {name: {} for name in ignored}
    properties.update(typed)
    return {"type": "object", "required": list(required), "properties": properties, "additionalProperties": False}


def unknown_agent(agentId: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, f'unknown agent id "{agentId}"', {"code": "UNKNOWN_AGENT_ID", "agentId": agentId})


def resolve_target(runtime: Any, agentId: str | None, sessionKey: str | None) -> tuple[str, str]:
    """
    The configured agent and the full session key of a request: a key without the
    C{agent:} prefix belongs to C{agentId} (default: the default agent); without a
    key, the agent's main session.
    """
    settings = runtime.settings.agents
    if agentId is not None:
        try:
            agentId = normalise_agent_id(agentId)
        except AgentConfigError as e:
            raise GatewayError(INVALID_REQUEST, str(e)) from None
    if sessionKey is None or not sessionKey.strip():
        agentId = agentId or settings.defaultAgentId
        key = runtime.mainSessionKey(agentId)
    else:
        key = scoped_key(sessionKey, agentId or settings.defaultAgentId)
        owner = agent_of(key, agentId or settings.defaultAgentId)
        if agentId is not None and owner != agentId and key != GLOBAL_KEY:
            raise GatewayError(INVALID_REQUEST, f'sessionKey "{key}" belongs to agent "{owner}", not "{agentId}"')
        agentId = owner
    if settings.agent(agentId) is None:
        raise unknown_agent(agentId)
    return agentId, key
